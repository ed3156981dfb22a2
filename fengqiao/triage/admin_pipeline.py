"""Admin for routing rules and stored triage results (imported by the triage app's admin.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.triage.models import RoutingRule, TriageResult
from fengqiao.triage.routing import conditions


class ChannelFilter(admin.SimpleListFilter):
    """The channel condition by its label (the field stores a channel code without choices)."""

    title = _("来源渠道")
    parameter_name = "channel"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        from fengqiao.cases.choices import Channel

        return [(c.value, c.label) for c in Channel]

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.filter(channel=self.value()) if self.value() else queryset


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "condition_text", "target", "level", "is_fallback", "is_active")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "is_fallback", ChannelFilter, "min_risk")
    change_list_template = "admin/triage/routingrule/change_list.html"
    search_fields = ("name", "note")
    autocomplete_fields = ("location", "owner_unit")
    ordering = ("position", "pk")
    fieldsets = (
        (None, {"fields": ("position", "name", "is_active", "is_fallback", "note")}),
        (
            _("条件（全部满足才命中；留空表示不限）"),
            {"fields": ("category", "domain", "location", "channel", "min_risk", ("hour_from", "hour_to"))},
        ),
        (_("结果"), {"fields": ("owner_unit", "owner_local", "level", "deadline_policy")}),
    )

    @admin.display(description=_("条件"))
    def condition_text(self, obj: RoutingRule) -> str:
        return " 且 ".join(conditions(obj)) or "—"

    @admin.display(description=_("责任单位"))
    def target(self, obj: RoutingRule) -> str:
        if obj.owner_local:
            return "属地乡镇综治中心" + (f"（否则 {obj.owner_unit}）" if obj.owner_unit_id else "")
        return str(obj.owner_unit or "—")

    def changelist_view(self, request: Any, extra_context: dict[str, Any] | None = None) -> Any:
        extra = dict(extra_context or {})
        extra["title"] = _("分流规则")  # plain text: it is also the page's <title>
        extra["dry_run_url"] = reverse("triage:dry_run")
        return super().changelist_view(request, extra_context=extra)


@admin.register(TriageResult)
class TriageResultAdmin(admin.ModelAdmin):
    list_display = ("case", "ran_at", "explanation", "needs_review", "elapsed_ms")
    list_filter = ("needs_review", "located", "confident")
    search_fields = ("case__code", "explanation")
    readonly_fields = [f.name for f in TriageResult._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
