"""The filters the map and the statistics page share: period, type, state, channel, colour."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Channel, Colour
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import ENDED_STATES, FINAL_STATES, OPEN_STATES

PERIODS = [
    ("today", _("今日")),
    ("7d", _("近7天")),
    ("30d", _("近30天")),
    ("90d", _("近90天")),
    ("month", _("本月")),
    ("year", _("本年")),
    ("365d", _("近一年")),
    ("all", _("全部")),
    ("range", _("自定义")),
]
STATE_GROUPS = [
    ("", _("全部状态")),
    ("open", _("在办")),
    ("ended", _("已办结")),
]


def period_bounds(period: str, now: dt.datetime | None = None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) of a named period in local time (Asia/Shanghai); None = open-ended."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight, None
    if period == "month":
        return midnight.replace(day=1), None
    if period == "year":
        return midnight.replace(month=1, day=1), None
    days = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}.get(period)
    if days:
        return midnight - dt.timedelta(days=days - 1), None
    return None, None


def _categories() -> list[tuple[str, str]]:
    return [("", str(_("全部类型")))] + [
        (c.code, c.name) for c in Category.objects.filter(parent__isnull=True).order_by("sort", "code")
    ]


class CaseFilter(forms.Form):
    period = forms.ChoiceField(label=_("时段"), choices=PERIODS, required=False, initial="90d")
    date_from = forms.DateField(label=_("起"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("止"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label=_("类型"), required=False)
    state = forms.ChoiceField(label=_("状态"), choices=STATE_GROUPS, required=False)
    channel = forms.ChoiceField(label=_("渠道"), choices=[("", _("全部渠道")), *Channel.choices], required=False)
    colour = forms.ChoiceField(label=_("督办颜色"), choices=[("", _("全部颜色")), *Colour.choices], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _categories()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("period") == "range":
            a, b = data.get("date_from"), data.get("date_to")
            if not a or not b:
                self.add_error("date_from", _("自定义时段请填写起止日期"))
            elif a > b:
                self.add_error("date_to", _("截止日期不能早于开始日期"))
        return data

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        period = data.get("period") or "90d"
        if period == "range" and data.get("date_from") and data.get("date_to"):
            tz = timezone.get_current_timezone()
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            return start, end
        return period_bounds(period)

    def apply(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        start, end = self.bounds()
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        if data.get("category"):
            qs = qs.filter(Q(category__code=data["category"]) | Q(category__parent__code=data["category"]))
        if data.get("state") == "open":
            qs = qs.filter(state__in=sorted(OPEN_STATES))
        elif data.get("state") == "ended":
            qs = qs.filter(state__in=sorted(ENDED_STATES | FINAL_STATES))
        if data.get("channel"):
            qs = qs.filter(channel=data["channel"])
        if data.get("colour"):
            qs = qs.filter(colour=data["colour"])
        return qs


def case_filter(params: Any) -> CaseFilter:
    """A bound filter (defaults filled in); an invalid one is still usable with its defaults."""
    data = {k: params.get(k, "") for k in ("period", "date_from", "date_to", "category", "state", "channel", "colour")}
    data["period"] = data["period"] or "90d"
    f = CaseFilter(data)
    f.is_valid()
    return f
