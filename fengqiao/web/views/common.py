"""Shared pieces of the staff pages: the login/second-factor guard, case lookup within the user's
scope, id-first pagination and small formatting helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy

from fengqiao.cases import codes, policy
from fengqiao.cases.events import event_label
from fengqiao.cases.models import Case
from fengqiao.org.models import User
from fengqiao.web.otp import is_verified, otp_required

PAGE_SIZE = 50

# Related rows every case list and page shows: loaded in the same query (no N+1).
CASE_RELATED = (
    "category",
    "category__parent",
    "domain",
    "owner_unit",
    "pending_unit",
    "lead_unit",
    "location_unit",
    "dispatched_from",
    "handler",
)


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


def staff_user(request: HttpRequest) -> User:
    return cast(User, request.user)


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in, and — for administrators — verified by the second factor."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("web:login"))
        if otp_required(user) and not is_verified(user):
            return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request: HttpRequest, value: str | None, default: str = "") -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def case_queryset(user: Any) -> QuerySet[Case]:
    return policy.restrict(Case.objects.all(), user).select_related(*CASE_RELATED)


def get_case_or_404(user: Any, code: str) -> Case:
    """The case with this code if ``user`` may see it; 404 for an unknown, malformed or out-of-scope code."""
    norm = codes.normalise(code)
    if not codes.is_valid(norm):
        raise Http404
    case = case_queryset(user).filter(code=norm).first()
    if case is None:
        raise Http404
    return case


def paginate_ids(queryset: QuerySet[Case], page_number: Any, related: tuple[str, ...] = CASE_RELATED) -> Page:
    """A page of cases the fast way (like api/pagination.py): count and order on the case table's
    indexes, take the page's ids, then load only those rows with their related objects."""
    ids_qs = queryset.values_list("pk", flat=True)
    paginator = Paginator(ids_qs, PAGE_SIZE)
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows = Case.objects.filter(pk__in=ids).select_related(*related).defer(*Case.LIST_DEFERRED)
    by_id = {c.pk: c for c in rows} if ids else {}
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
