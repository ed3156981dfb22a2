from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Channel, Colour, Level
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CaseFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False, label=_("状态"))
    category = django_filters.CharFilter(method="filter_category", label=_("纠纷类型代码"))
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False, label=_("来源渠道"))
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, distinct=False, label=_("响应等级"))
    colour = django_filters.MultipleChoiceFilter(choices=Colour.choices, distinct=False, label=_("督办颜色"))
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), method="filter_unit", label=_("属地/责任单位"))
    handler = django_filters.NumberFilter(field_name="handler_id", label=_("承办人"))
    created_after = django_filters.DateFilter(method="filter_created_after", label=_("登记起"))
    created_before = django_filters.DateFilter(method="filter_created_before", label=_("登记止"))
    q = django_filters.CharFilter(method="filter_q", label=_("搜索"))
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
