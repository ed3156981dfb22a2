"""Administrators edit the indicator tree and the points rules here; the tree is validated on save.
External figures are entered through the staff page (an action records who entered what)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.core import adminlabels
from fengqiao.evaluation import index
from fengqiao.evaluation.models import IndexNode, IndexTree, PointsRule


class NodeFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Validate the tree as it would be after the save: weights per level sum to 1, no cycles."""

    def clean(self) -> None:
        super().clean()
        rows = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            cd = form.cleaned_data
            parent = cd.get("parent")
            rows.append(
                index.Node(
                    code=cd.get("code", ""),
                    name=cd.get("name", ""),
                    kind=cd.get("kind", ""),
                    weight=cd.get("weight") or 0,
                    parent=parent.code if parent else None,
                    metric=cd.get("metric", ""),
                    direction=cd.get("direction", "higher"),
                    normalisation=cd.get("normalisation", "rate"),
                )
            )
        errors = index.validate(rows)
        if errors:
            raise ValidationError(errors)


class NodeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = IndexNode
    formset = NodeFormSet
    fk_name = "tree"
    extra = 0
    fields = ("code", "name", "kind", "parent", "metric", "direction", "normalisation", "weight", "proposed", "sort")


@admin.register(IndexTree)
class IndexTreeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_active", "shrink_k", "updated_at")
    inlines = [NodeInline]


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        adminlabels.column("trigger", "points_trigger", _("触发")),
        "beneficiary",
        "points",
        "is_active",
    )
    list_editable = ("points", "is_active")

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # ledger entries name their rule: deactivate instead
