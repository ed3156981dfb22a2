"""Validated inputs of the grid-work actions (errors per field, in plain Chinese)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fengqiao.cases.inputs import CategoryField
from fengqiao.gridwork.choices import DeliveryMethod, DocumentKind, Outcome, SubjectKind

CLIENT_ID = r"^[A-Za-z0-9_-]{8,64}$"
SKEW = dt.timedelta(minutes=5)  # a phone's clock may run a little ahead


def _not_future(value: Any) -> Any:
    if value is not None and value > timezone.now() + SKEW:
        raise serializers.ValidationError(_("时间不能晚于现在。"))
    return value


class Where(serializers.Serializer):
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError({"lat": [_("经纬度须同时提供。")]})
        return attrs


class StartPatrolInput(serializers.Serializer):
    client_id = serializers.RegexField(CLIENT_ID, error_messages={"invalid": _("编号格式有误。")})
    started_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_not_future])


class CheckInInput(Where):
    client_id = serializers.RegexField(CLIENT_ID, error_messages={"invalid": _("编号格式有误。")})
    at = serializers.DateTimeField(validators=[_not_future])
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class StopPatrolInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    ended_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_not_future])


class PlanVisitInput(serializers.Serializer):
    subject_kind = serializers.ChoiceField(choices=SubjectKind.choices)
    subject_name = serializers.CharField(max_length=60)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    purpose = serializers.CharField(max_length=200)
    due_date = serializers.DateField()
    case = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")


class RecordVisitInput(Where):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    notes = serializers.CharField(max_length=2000)
    done_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_not_future])


class CancelVisitInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class ReportInput(Where):
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000)
    category = CategoryField(required=False, allow_null=True)
    address_text = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    people_count = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    resolved_on_spot = serializers.BooleanField(default=False)
    result = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("resolved_on_spot") and not attrs.get("result"):
            raise serializers.ValidationError({"result": [_("当场化解须写明化解结果。")]})
        return attrs


class DeliveryInput(Where):
    document_kind = serializers.ChoiceField(choices=DocumentKind.choices)
    document_title = serializers.CharField(max_length=100)
    recipient_name = serializers.CharField(max_length=60)
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    confirmed = serializers.BooleanField(default=False)
    confirmation = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, validators=[_not_future])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs["method"] == DeliveryMethod.LEFT and not attrs.get("confirmation"):
            raise serializers.ValidationError({"confirmation": [_("留置送达须写明见证人和留置情况。")]})
        if attrs["method"] != DeliveryMethod.LEFT and not attrs.get("confirmed"):
            raise serializers.ValidationError({"confirmed": [_("直接送达或代收须由受送达人（代收人）签收确认。")]})
        return attrs
