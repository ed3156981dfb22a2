"""Validated input of mediation's case actions (组建/调整调解团队, 记录调解, 召开联席会议), registered in
the action layer by :mod:`fengqiao.mediation.case_actions`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fengqiao.mediation.models import Mediator, SessionOutcome


class JointMeetingInput(serializers.Serializer):
    held_at = serializers.DateTimeField()
    attendees = serializers.CharField(max_length=2000)
    minutes = serializers.CharField(max_length=5000)
    decisions = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")


class TeamMemberInput(serializers.Serializer):
    mediator = serializers.PrimaryKeyRelatedField(queryset=Mediator.objects.all())
    is_lead = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AttachTeamInput(serializers.Serializer):
    members = TeamMemberInput(many=True, min_length=1, max_length=10)  # type: ignore[call-arg]

    def validate_members(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [m["mediator"].pk for m in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("同一调解员不能重复加入。"))
        if sum(1 for m in value if m["is_lead"]) > 1:
            raise serializers.ValidationError(_("只能指定一名首席调解员。"))
        return value


class DetachTeamInput(serializers.Serializer):
    mediator = serializers.PrimaryKeyRelatedField(queryset=Mediator.objects.all())
    reason = serializers.CharField(max_length=2000)


class SessionInput(serializers.Serializer):
    held_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    online_url = serializers.URLField(max_length=200, required=False, allow_blank=True, default="")
    participants = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000)
    outcome = serializers.ChoiceField(choices=SessionOutcome.choices, default=SessionOutcome.ONGOING)

    def validate_online_url(self, value: str) -> str:
        if value and not value.startswith("https://"):
            raise serializers.ValidationError(_("线上会商链接须以 https:// 开头。"))
        return value

    def validate_held_at(self, value: Any) -> Any:
        # A held session lies in the past (a few minutes' grace for clocks); a future one is planned.
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError(_("调解时间不能晚于当前时间；尚未举行的调解请用“安排调解”。"))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("place") and not attrs.get("online_url"):
            raise serializers.ValidationError({"place": [_("请填写调解地点或线上会商链接。")]})
        return attrs
