"""Admin for classifier versions (activate one per task), training labels and the risk lexicon."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from fengqiao.triage import risk
from fengqiao.triage.ml import registry
from fengqiao.triage.models import ClassifierVersion, RiskTerm, TrainingLabel


@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(admin.ModelAdmin):
    list_display = ("task", "version", "is_active", "trained_at", "samples", "macro_f1", "file_ok")
    list_filter = ("task", "is_active")
    search_fields = ("version", "notes")
    readonly_fields = ("is_active", "data_sha256", "metrics_table", "sources", "trained_at")
    fields = ("task", "version", "path", "is_active", "trained_at", "samples", "data_sha256", "sources",
              "metrics_table", "notes")  # fmt: skip
    actions = ["activate"]

    @admin.display(description=_("macro-F1"))
    def macro_f1(self, obj: ClassifierVersion) -> str:
        value = (obj.metrics or {}).get("macro_f1")
        return f"{value:.3f}" if isinstance(value, (int, float)) else "—"

    @admin.display(description=_("模型文件"), boolean=True)
    def file_ok(self, obj: ClassifierVersion) -> bool:
        return registry.resolve_path(obj.path).exists()

    @admin.display(description=_("评估指标"))
    def metrics_table(self, obj: ClassifierVersion) -> str:
        metrics = obj.metrics or {}
        flat = [(k, v) for k, v in metrics.items() if not isinstance(v, (dict, list))]
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", flat)
        per_class = metrics.get("per_class") or {}
        detail = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            (
                (
                    c,
                    f"P {m.get('precision', 0):.3f} / R {m.get('recall', 0):.3f} / F1 {m.get('f1', 0):.3f}"
                    f" ({m.get('support', 0)})",
                )
                for c, m in per_class.items()
            ),
        )
        if not flat and not per_class:
            return "—"
        return format_html("<table>{}{}</table>", rows, detail)

    @admin.action(description=_("启用所选版本（同一任务只保留一个启用版本）"))
    def activate(self, request: HttpRequest, queryset: QuerySet[ClassifierVersion]) -> None:
        chosen: dict[str, ClassifierVersion] = {}
        for cv in queryset.order_by("-trained_at"):
            chosen.setdefault(cv.task, cv)
        if len(chosen) < queryset.count():
            self.message_user(request, _("同一任务选了多个版本，只启用其中最新的一个。"), messages.WARNING)
        for cv in chosen.values():
            if not registry.resolve_path(cv.path).exists():
                self.message_user(request, _("模型文件不存在，未启用：%s") % cv, messages.ERROR)
                continue
            from fengqiao.triage.ml.training import activate_version  # scikit-learn: only when used

            activate_version(cv)
            self.message_user(request, _("已启用：%s") % cv, messages.SUCCESS)
        registry.clear_cache()


@admin.register(TrainingLabel)
class TrainingLabelAdmin(admin.ModelAdmin):
    list_display = ("created_at", "task", "label", "predicted", "score", "source", "model_version", "short_text")
    list_filter = ("task", "source")
    search_fields = ("label", "predicted", "text")
    date_hierarchy = "created_at"
    raw_id_fields = ("case", "created_by")

    @admin.display(description=_("文本"))
    def short_text(self, obj: TrainingLabel) -> str:
        return obj.text[:40]


@admin.register(RiskTerm)
class RiskTermAdmin(admin.ModelAdmin):
    list_display = ("phrase", "category", "weight", "is_active", "note")
    list_editable = ("weight", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("phrase", "note")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        risk.invalidate()


if importlib.util.find_spec("fengqiao.triage.admin_pipeline") is not None:
    from fengqiao.triage import admin_pipeline  # noqa: F401
