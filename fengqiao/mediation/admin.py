"""Administration of the mediator pool (调解资源库), with Excel/CSV import.

Import columns (natural keys): 姓名, 类别 (value or label: people / 人民调解员), 所属单位代码,
擅长类型 (dispute type codes or names, separated by ;), 方言, 同时承办上限, 可接案, 系统账号 (username).
A mediator is identified by name + kind + unit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from import_export import fields, widgets

from fengqiao.cases.models import Category
from fengqiao.core.admin import FengqiaoImportExportAdmin, HeaderAliasResource
from fengqiao.mediation.agreements import PLACEHOLDERS, REQUIRED
from fengqiao.mediation.models import (
    Agreement,
    AgreementTemplate,
    CannedReply,
    DifficultCase,
    JointMeeting,
    MediationSession,
    Mediator,
    MediatorKind,
    SessionPlan,
    Signature,
    TeamMember,
    VisitPlan,
)
from fengqiao.org.admin import BoolWidget, ChoiceWidget, ListWidget, TextWidget, UnitCodeWidget, cell_text
from fengqiao.org.models import Unit, User


class SpecialtiesWidget(ListWidget):
    """Dispute type codes (or names) → the list of codes stored on the mediator."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:
        items = super().clean(value)
        if not items:
            return []
        known = list(Category.objects.filter(Q(code__in=items) | Q(name__in=items)).values_list("code", "name"))
        codes = {code for code, _name in known}
        names = {name: code for code, name in known}
        out: list[str] = []
        unknown: list[str] = []
        for item in items:
            code = item if item in codes else names.get(item)
            if code is None:
                unknown.append(item)
            elif code not in out:
                out.append(code)
        if unknown:
            raise ValueError(_("未知的纠纷类型：%(items)s（请填写类型代码或名称）。") % {"items": "、".join(unknown)})
        return out


class IntWidget(widgets.Widget):
    def __init__(self, default: int, lo: int = 0, hi: int = 1000):
        super().__init__()
        self.default, self.lo, self.hi = default, lo, hi

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int:
        text = cell_text(value)
        if not text:
            return self.default
        try:
            number = int(float(text))
        except ValueError:
            raise ValueError(_("请填写整数。"))
        if not self.lo <= number <= self.hi:
            raise ValueError(_("须在 %(lo)s 到 %(hi)s 之间。") % {"lo": self.lo, "hi": self.hi})
        return number


class UsernameWidget(widgets.ForeignKeyWidget):
    def __init__(self) -> None:
        super().__init__(User, field="username")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> User | None:
        username = cell_text(value)
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValueError(_("系统账号“%(u)s”不存在。") % {"u": username})
        return user

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.username if value is not None else ""


class MediatorResource(HeaderAliasResource):
    name = fields.Field("name", "姓名", widget=TextWidget(required=True, max_length=50))
    kind = fields.Field("kind", "类别", widget=ChoiceWidget(MediatorKind.choices))
    unit = fields.Field("unit", "所属单位代码", widget=UnitCodeWidget(required=True))
    specialties = fields.Field("specialties", "擅长类型", widget=SpecialtiesWidget())
    dialects = fields.Field("dialects", "方言", widget=ListWidget())
    capacity = fields.Field("capacity", "同时承办上限", widget=IntWidget(default=5, lo=1, hi=100))
    available = fields.Field("available", "可接案", widget=BoolWidget(default=True))
    user = fields.Field("user", "系统账号", widget=UsernameWidget(), saves_null_values=False)

    header_aliases = {
        "name": "姓名",
        "kind": "类别",
        "unit": "所属单位代码",
        "unit_code": "所属单位代码",
        "specialties": "擅长类型",
        "dialects": "方言",
        "capacity": "同时承办上限",
        "available": "可接案",
        "user": "系统账号",
        "username": "系统账号",
    }
    example_row = {
        "姓名": "张调解",
        "类别": "人民调解员",
        "所属单位代码": "331024103",
        "擅长类型": "0201;0203",
        "方言": "仙居话",
        "同时承办上限": 5,
        "可接案": "是",
    }

    class Meta:
        model = Mediator
        import_id_fields = ["name", "kind", "unit"]
        fields = ["name", "kind", "unit", "specialties", "dialects", "capacity", "available", "user"]
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        # The natural key (name, kind, unit code); a bad kind or unit is reported by the fields.
        try:
            name = self.fields["name"].clean(row)
            kind = self.fields["kind"].clean(row)
            unit: Unit = self.fields["unit"].clean(row)
        except (ValueError, KeyError):
            return None
        found = list(Mediator.objects.filter(name=name, kind=kind, unit=unit)[:2])
        if len(found) > 1:
            raise ValidationError(
                {"name": [_("该单位有多名同名同类别的调解员，无法确定要更新哪一位，请在后台手工修改。")]}
            )
        return found[0] if found else None

    def import_instance(self, instance: Mediator, row: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        user = instance.user if instance.user_id else None
        if "user" not in errors and user is not None:
            taken = Mediator.objects.filter(user=user).exclude(pk=instance.pk).first()
            if taken is not None:
                errors["user"] = [_("系统账号已关联调解员“%(n)s”。") % {"n": taken.name}]
        if errors:
            raise ValidationError(errors)


@admin.register(Mediator)
class MediatorAdmin(FengqiaoImportExportAdmin):
    resource_classes = [MediatorResource]
    list_display = [
        "name",
        "kind",
        "unit",
        "specialties_text",
        "capacity",
        "active_cases",
        "success_text",
        "available",
    ]
    list_filter = ["kind", "available", "unit__kind"]
    search_fields = ["name", "unit__name", "unit__code"]
    list_select_related = ["unit"]
    autocomplete_fields = ["unit", "user"]
    readonly_fields = ["active_cases", "cases_total", "cases_success", "rating"]
    fieldsets = (
        (None, {"fields": ("name", "kind", "unit", "user")}),
        (_l("专长与接案"), {"fields": ("specialties", "dialects", "capacity", "available")}),
        (
            _l("办案统计（由系统计算）"),
            {"fields": ("active_cases", "cases_total", "cases_success", "rating"), "classes": ("collapse",)},
        ),
    )

    @admin.display(description=_l("擅长类型"))
    def specialties_text(self, obj: Mediator) -> str:
        return "、".join(obj.specialties or [])

    @admin.display(description=_l("调解成功率"))
    def success_text(self, obj: Mediator) -> str:
        return f"{obj.success_rate:.0%}" if obj.cases_total else "—"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the action layer only."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyAdmin):
    list_display = ["case", "mediator", "is_lead", "added_at"]
    list_select_related = ["case", "mediator"]
    search_fields = ["case__code", "mediator__name"]


@admin.register(MediationSession)
class MediationSessionAdmin(ReadOnlyAdmin):
    list_display = ["case", "held_at", "place", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["case"]
    search_fields = ["case__code"]


@admin.register(JointMeeting)
class JointMeetingAdmin(ReadOnlyAdmin):
    list_display = ["case", "held_at"]
    list_select_related = ["case"]
    search_fields = ["case__code"]


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(admin.ModelAdmin):
    """The agreement wording, edited by administrators; a template missing a field the 人民调解法
    requires is refused with the placeholder to add."""

    list_display = ["name", "version", "is_active", "updated_at"]
    readonly_fields = ["version", "updated_at", "placeholders"]
    fields = ["name", "is_active", "body", "placeholders", "version", "updated_at"]

    @admin.display(description=_l("可用占位符"))
    def placeholders(self, obj: AgreementTemplate) -> str:
        return "；".join(f"{{{{{k}}}}} {v}" + ("（必填）" if k in REQUIRED else "") for k, v in PLACEHOLDERS.items())


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["case", "version", "status", "court_status", "created_at", "sealed_at"]
    list_filter = ["status", "court_status"]
    list_select_related = ["case"]
    search_fields = ["case__code"]
    exclude = ["facts", "responsibilities", "obligations", "performance", "text"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["agreement", "decision", "decided_at"]
    list_filter = ["decision"]
    exclude = ["token", "phone_hash"]


@admin.register(SessionPlan)
class SessionPlanAdmin(ReadOnlyAdmin):
    list_display = ["case", "starts_at", "place", "status", "reminded_at"]
    list_filter = ["status"]
    list_select_related = ["case"]
    search_fields = ["case__code"]


@admin.register(VisitPlan)
class VisitPlanAdmin(ReadOnlyAdmin):
    list_display = ["case", "days", "due_at", "status", "done_at"]
    list_filter = ["status", "days"]
    list_select_related = ["case"]
    search_fields = ["case__code"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """常用语: placeholders {code} {title} {unit} {handler} {date} are filled from the case."""

    list_display = ["title", "unit", "category", "is_active", "sort"]
    list_filter = ["is_active"]
    search_fields = ["title", "text"]
    autocomplete_fields = ["unit", "category"]


@admin.register(DifficultCase)
class DifficultCaseAdmin(ReadOnlyAdmin):
    list_display = ["case", "status", "next_review_at", "flagged_at"]
    list_filter = ["status"]
    list_select_related = ["case"]
    search_fields = ["case__code"]
