from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Channel, Colour, Level
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.core.inputcheck import validate_no_control
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


EARLIEST_DATE = dt.date(2000, 1, 1)


class BoundedDateField(forms.DateField):
    """A date between 2000-01-01 and a year from today: beyond, ``day + 1`` overflows (9999-12-31) or
    the question makes no sense; the error says which range is allowed, in Chinese."""

    def clean(self, value: Any) -> dt.date | None:
        day: dt.date | None = super().clean(value)
        low, high = date_bounds()
        if day is not None and not (low <= day <= high):
            raise ValidationError(
                _("日期须在 %(low)s 至 %(high)s 之间。"),
                code="date_out_of_range",
                params={"low": low.isoformat(), "high": high.isoformat()},
            )
        return day


def date_bounds() -> tuple[dt.date, dt.date]:
    return EARLIEST_DATE, timezone.localdate() + dt.timedelta(days=366)


class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class CaseFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False, label=_("状态"))
    category = django_filters.CharFilter(
        method="filter_category", label=_("纠纷类型代码"), validators=[validate_no_control]
    )
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False, label=_("来源渠道"))
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, distinct=False, label=_("响应等级"))
    colour = django_filters.MultipleChoiceFilter(choices=Colour.choices, distinct=False, label=_("督办颜色"))
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), method="filter_unit", label=_("属地/责任单位"))
    handler = django_filters.NumberFilter(field_name="handler_id", label=_("承办人"))
    created_after = BoundedDateFilter(method="filter_created_after", label=_("登记起"))
    created_before = BoundedDateFilter(method="filter_created_before", label=_("登记止"))
    q = django_filters.CharFilter(method="filter_q", label=_("搜索"), validators=[validate_no_control])
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("due_at", "due_at"),
            ("priority", "priority"),
            ("level", "level"),
        )
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_category(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return qs.filter(Q(category__code=value) | Q(category__parent__code=value))

    # Dates are local days; compared as a datetime range so the created_at index is used
    # (``created_at__date`` would wrap the column in a function).
    def filter_created_after(self, qs: QuerySet[Case], name: str, value: dt.date) -> QuerySet[Case]:
        return qs.filter(created_at__gte=_day_start(value))

    def filter_created_before(self, qs: QuerySet[Case], name: str, value: dt.date) -> QuerySet[Case]:
        return qs.filter(created_at__lt=_day_start(value + dt.timedelta(days=1)))

    def filter_unit(self, qs: QuerySet[Case], name: str, value: Unit) -> QuerySet[Case]:
        return qs.filter(subtree_q("owner_path", value.path) | subtree_q("location_path", value.path))

    def filter_q(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        from fengqiao.cases.codes import normalise

        value = value.strip()[:100]
        if not value:
            return qs
        code = normalise(value)
        q = Q(title__icontains=value) | Q(description__icontains=value)
        if len(code) >= 4:
            q |= Q(code__startswith=code)
        return qs.filter(q)
