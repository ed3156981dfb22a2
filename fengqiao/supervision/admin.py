"""Supervision administration: deadline policies (时限规则) and the holiday calendar are edited here;
instructions, follows and accountability records are read-only (instructions are written and answered
through the action layer, follows from the leader's page, records by the supervision engine)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Channel, Level
from fengqiao.core import adminlabels
from fengqiao.supervision import calendar
from fengqiao.supervision.models import (
    AccountabilityRecord,
    CalendarDay,
    DeadlinePolicy,
    Follow,
    Instruction,
    ReverseCheck,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Instruction)
class InstructionAdmin(ReadOnly):
    list_display = ["case", "author", "created_at", "answered_by", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__code", "author__username", "author__display_name"]
    list_select_related = ["case", "author", "answered_by"]


@admin.register(Follow)
class FollowAdmin(ReadOnly):
    list_display = ["user", "case", "created_at"]
    search_fields = ["case__code", "user__username"]
    list_select_related = ["user", "case"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        adminlabels.column("channel", "channel", _("来源渠道")),
        "level",
        "unit",
        "complete_days",
        "yellow_after_days",
        "red_after_days",
        "priority",
        "is_active",
    ]
    list_filter = ["is_active", "unit", adminlabels.list_filter("channel", "channel", _("来源渠道"))]
    list_editable = ["is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["category"]
    fieldsets = (
        (None, {"fields": ("name", "is_active", "priority")}),
        (
            _("适用范围（留空表示不限）"),
            {
                "fields": ("category", "channel", "level"),
                "description": _(
                    "多条规则同时适用时，取最具体的一条：二级类型 > 一级类型 > 不限；再看渠道、响应等级、优先顺序。"
                ),
            },
        ),
        (
            _("时限"),
            {
                "fields": (
                    "unit",
                    "accept_hours",
                    "contact_hours",
                    "complete_days",
                    "yellow_after_days",
                    "red_after_days",
                    "extendable_days",
                )
            },
        ),
    )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "channel":
            return forms.ChoiceField(
                label=db_field.verbose_name, choices=[("", _("不限")), *Channel.choices], required=False
            )
        if db_field.name == "level":
            return forms.TypedChoiceField(
                label=db_field.verbose_name,
                choices=[("", _("不限")), *Level.choices],
                coerce=int,
                empty_value=None,
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "provisional"]
    list_filter = ["kind", "provisional"]
    search_fields = ["name"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        calendar.invalidate()  # deadlines use the new calendar at once, not after the cache expires

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        super().delete_model(request, obj)
        calendar.invalidate()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        calendar.invalidate()


class ReverseCheckInline(admin.TabularInline):
    model = ReverseCheck
    extra = 0
    can_delete = False
    readonly_fields = ["opened_by", "opened_at", "conclusion", "responsible", "concluded_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(ReadOnly):
    list_display = ["detected_at", "kind", "summary", "unit", "person", "case", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["summary", "case__code", "person__username", "person__display_name", "unit__name"]
    list_select_related = ["unit", "person", "case"]
    date_hierarchy = "detected_at"
    inlines = [ReverseCheckInline]
