"""Shared pieces of the staff site's own pages: id-first pagination, event titles, the ``next`` check
and small formatting helpers. The guard and the case lookups that every app's staff pages use are
in :mod:`fengqiao.cases.doors`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext

from fengqiao.cases.doors import CASE_RELATED
from fengqiao.cases.events import event_label
from fengqiao.cases.models import Case

PAGE_SIZE = 50

# Events written outside the action layer (the supervision sweep) that cases/events.py does not name.
EXTRA_EVENT_LABELS: dict[str, Any] = {
    "case.colour": gettext_lazy("督办变色"),
    "case.remind": gettext_lazy("时限提醒"),
}


def event_title(code: str) -> str:
    """The label of an event code (cases/events.py), with a readable fallback for other codes."""
    label = event_label(code)
    if label == code:
        return str(EXTRA_EVENT_LABELS.get(code, gettext_lazy("系统事件")))
    return label


def safe_next(request: HttpRequest, value: str | None, default: str = "") -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


# Lists count at most this many rows; beyond, the page says "1000+ 件" and pages on without a total
# (an exact COUNT over a county's cases visits every row; a capped one stops after COUNT_CAP + 1).
COUNT_CAP = 1000

# The related rows the case table (``case_rows``) shows, with only the columns it reads: fewer joins
# to plan and fewer objects to build than CASE_RELATED.
LIST_RELATED = ("category", "category__parent", "domain", "owner_unit", "pending_unit", "handler")
LIST_ONLY_RELATED = (
    "category__name",
    "category__parent",
    "category__parent__name",
    "domain__name",
    "owner_unit__name",
    "pending_unit__name",
    "handler__username",
    "handler__display_name",
)


class IdPaginator(Paginator):
    """A paginator over a queryset of case ids whose count is given (known from an aggregate, or
    capped at :data:`COUNT_CAP`). A page reads one id more than it shows, so "next" needs no count;
    when the count is capped, pages beyond it can still be reached."""

    def __init__(self, ids: QuerySet[Any], per_page: int, count: int, capped: bool = False) -> None:
        super().__init__(ids, per_page)
        self.__dict__["count"] = count  # the cached_property, given
        self.capped = capped

    def texts(self, page: Page) -> tuple[str, str]:
        """ "共 n 件" and the number of pages as shown ("1000+", "21+" when the count is capped)."""
        n = f"{COUNT_CAP}+" if self.capped else self.count
        pages = f"{max(self.num_pages, page.number)}+" if self.capped else str(self.num_pages)
        return ngettext("共 %(n)s 件", "共 %(n)s 件", self.count) % {"n": n}, pages

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if value < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return value

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not ids and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        page = IdPage(ids[: self.per_page], number, self)
        page.more = len(ids) > self.per_page
        return page


class IdPage(Page):
    more = False

    def has_next(self) -> bool:
        return self.more


def paginate_ids(
    queryset: QuerySet[Case],
    page_number: Any,
    related: tuple[str, ...] = CASE_RELATED,
    *,
    count: int | None = None,
    only: tuple[str, ...] = (),
) -> Page:
    """A page of cases the fast way (like api/pagination.py): order on the case table's indexes and
    take the page's ids (one more, to know whether a next page exists), then load only those rows
    with their related objects. ``count`` is the list's size when the caller already knows it (from
    the page's aggregate); otherwise it is counted here, capped at :data:`COUNT_CAP`."""
    ids_qs = queryset.values_list("pk", flat=True)
    capped = False
    if count is None:
        count = ids_qs.order_by()[: COUNT_CAP + 1].count()
        capped = count > COUNT_CAP
    page = IdPaginator(ids_qs, PAGE_SIZE, count, capped).get_page(page_number)
    ids = list(page.object_list)
    rows = Case.objects.filter(pk__in=ids).select_related(*related).defer(*Case.LIST_DEFERRED)
    if only:
        rows = rows.only(*(f.name for f in Case._meta.concrete_fields if f.name not in Case.LIST_DEFERRED), *only)
    by_id = {c.pk: c for c in rows.order_by()} if ids else {}
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]  # type: ignore[misc]
    return page


def relative(when: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "剩余 2天3小时" / "已超期 5小时" — the server-rendered text the countdown script then ticks."""
    if when is None:
        return ""
    now = now or timezone.now()
    delta = when - now
    seconds = int(abs(delta.total_seconds()))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        span = gettext("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    elif hours:
        span = gettext("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}
    else:
        span = gettext("%(m)s分钟") % {"m": max(minutes, 0)}
    return (
        gettext("剩余 %(span)s") % {"span": span}
        if delta.total_seconds() >= 0
        else gettext("已超期 %(span)s") % {"span": span}
    )
