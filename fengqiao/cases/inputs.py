"""Validated input of each action. Used by every caller (API, pages, portal, imports, jobs), so a
value is checked the same way whichever door it comes through."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fengqiao.cases.choices import Channel, PartyKind, PartyRole, Priority, Referral, Risk, Satisfaction
from fengqiao.cases.models import Case, Category, Domain
from fengqiao.core.validators import validate_id_number, validate_phone
from fengqiao.org.models import StandardAddress, Unit, User


def _django_validator(fn: Any) -> Any:
    def run(value: str) -> None:
        if value:
            try:
                fn(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None

    return run


class _Memo:
    """Relation fields look a value up once per batch when the serializer's context holds a ``memo``
    dict (:func:`fengqiao.cases.actions.validate_many`); otherwise one query per value, as usual."""

    def to_internal_value(self, data: Any) -> Any:
        memo = self.context.get("memo")  # type: ignore[attr-defined]
        if memo is None or not isinstance(data, (str, int)):
            return super().to_internal_value(data)  # type: ignore[misc]
        key = (type(self).__name__, data)
        if key not in memo:
            memo[key] = super().to_internal_value(data)  # type: ignore[misc]
        return memo[key]


class UnitField(_Memo, serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": _("单位 {pk_value} 不存在。"),
        "incorrect_type": _("单位编号应为整数。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Unit.objects.filter(is_active=True))
        super().__init__(**kwargs)


class CategoryField(_Memo, serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("纠纷类型 {value} 不存在。"),
        "invalid": _("纠纷类型无效。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Category.objects.filter(is_active=True).select_related("parent"))
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)


class DomainField(_Memo, serializers.SlugRelatedField):
    default_error_messages = {
        "does_not_exist": _("业务领域 {value} 不存在。"),
        "invalid": _("业务领域无效。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Domain.objects.filter(is_active=True))
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)


class PartyInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=PartyRole.choices, default=PartyRole.APPLICANT)
    kind = serializers.ChoiceField(choices=PartyKind.choices, default=PartyKind.PERSON)
    name = serializers.CharField(max_length=60, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=20, allow_blank=True, default="", validators=[_django_validator(validate_phone)]
    )
    id_number = serializers.CharField(
        max_length=18, allow_blank=True, default="", validators=[_django_validator(validate_id_number)]
    )
    address = serializers.CharField(max_length=200, allow_blank=True, default="")
    vulnerable = serializers.BooleanField(default=False)

    def validate_id_number(self, value: str) -> str:
        return value.strip().upper()

    def validate_phone(self, value: str) -> str:
        return value.replace(" ", "").removeprefix("+86")


class PartyEditInput(serializers.Serializer):
    """登记/更正当事人: with ``party`` the fields given correct that party (blank: unchanged, since the
    page shows them masked); without it a new party is added to the case (a name is then required)."""

    party = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    role = serializers.ChoiceField(choices=PartyRole.choices, required=False)
    kind = serializers.ChoiceField(choices=PartyKind.choices, required=False)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[_django_validator(validate_phone)]
    )
    id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True, validators=[_django_validator(validate_id_number)]
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    vulnerable = serializers.BooleanField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)

    def validate_id_number(self, value: str) -> str:
        return value.strip().upper()

    def validate_phone(self, value: str) -> str:
        return value.replace(" ", "").removeprefix("+86")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A blank text field means "unchanged": drop it (and a null tick box) before the action sees it.
        return {k: v for k, v in attrs.items() if v not in ("", None) or k == "party"}


class RegisterInput(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000)
    category = CategoryField(required=False, allow_null=True)
    domain = DomainField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    source_system = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    external_ref = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(default=False)
    address_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    location_unit = UnitField(required=False, allow_null=True)
    standard_address = serializers.PrimaryKeyRelatedField(
        queryset=StandardAddress.objects.all(), required=False, allow_null=True
    )
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    risk = serializers.ChoiceField(choices=Risk.choices, default=Risk.LOW)
    people_count = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    owner_unit = UnitField(required=False, allow_null=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    parties = PartyInput(many=True, required=False, default=list)

    def validate_parties(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > 50:
            raise serializers.ValidationError(_("当事人不能超过50个。"))
        return value

    def validate_received_at(self, value: Any) -> Any:

        if value is not None and value > timezone.now():
            raise serializers.ValidationError(_("收到时间不能晚于现在。"))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("category") is not None and attrs["category"].parent_id is None:
            raise serializers.ValidationError({"category": [_("请选择二级纠纷类型。")]})
        needs_applicant = attrs["channel"] in {Channel.QR, Channel.WEB, Channel.WALK_IN, Channel.PHONE}
        has_applicant = any(p.get("role") == PartyRole.APPLICANT for p in attrs["parties"])
        if needs_applicant and not attrs.get("anonymous") and not has_applicant:
            raise serializers.ValidationError({"parties": [_("非匿名反映须填写申请人。")]})
        return attrs


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AssignPersonInput(OptionalReasonInput):
    handler = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class UnitTargetInput(serializers.Serializer):
    unit = UnitField()
    reason = serializers.CharField(max_length=2000)


class AssignUnitInput(serializers.Serializer):
    unit = UnitField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EscalateInput(serializers.Serializer):
    unit = UnitField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000)


class AddAssistInput(serializers.Serializer):
    units = serializers.ListField(child=UnitField(), min_length=1, max_length=20)
    lead_unit = UnitField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FirstContactInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=[("phone", _("电话")), ("visit", _("走访")), ("meeting", _("约谈"))])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResolveInput(serializers.Serializer):
    agreement = serializers.BooleanField()
    matter_settled = serializers.BooleanField()
    grievance_settled = serializers.BooleanField()
    result = serializers.CharField(max_length=2000)


class ReferInput(serializers.Serializer):
    referral = serializers.ChoiceField(choices=Referral.choices)
    reason = serializers.CharField(max_length=2000)


class RateInput(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    matter_settled = serializers.BooleanField(required=False, allow_null=True, default=None)
    grievance_settled = serializers.BooleanField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReturnVisitInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=[("phone", _("电话回访")), ("visit", _("上门回访"))])
    matter_settled = serializers.BooleanField()
    grievance_settled = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MergeInput(serializers.Serializer):
    into = serializers.CharField(max_length=20)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class UpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=5000, required=False)
    category = CategoryField(required=False, allow_null=True)
    domain = DomainField(required=False, allow_null=True)
    address_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location_unit = UnitField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    people_count = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (set(attrs) - {"reason"}):
            raise serializers.ValidationError(_("没有需要修改的内容。"))
        if attrs.get("category") is not None and attrs["category"].parent_id is None:
            raise serializers.ValidationError({"category": [_("请选择二级纠纷类型。")]})
        return attrs


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    public = serializers.BooleanField(default=False)


class PauseInput(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[
            ("party", _("等待当事人")),
            ("appraisal", _("等待鉴定")),
            ("court", _("等待法院")),
            ("other", _("其他")),
        ]
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class InstructInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class AnswerInstructionInput(serializers.Serializer):
    instruction = serializers.IntegerField(min_value=1)
    answer = serializers.CharField(max_length=4000)


class EmptyInput(serializers.Serializer):
    pass


class ExtendInput(serializers.Serializer):
    """One extension of the deadline (诉前调解: 30 days, once, with the parties' consent)."""

    days = serializers.IntegerField(min_value=1, max_value=365)
    consent = serializers.CharField(max_length=500, help_text=_("谁以何种方式同意延长，例如：双方当事人书面同意"))


def case_field_snapshot(case: Case) -> dict[str, Any]:
    """Raw values of a case's own columns, JSON-ready (for event before/after)."""
    out: dict[str, Any] = {}
    for f in case._meta.concrete_fields:
        if f.name in {
            "tracking_secret",
            "updated_at",
            "owner_path",
            "pending_path",
            "lead_path",
            "location_path",
        }:
            continue
        value = getattr(case, f.attname)
        out[f.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
