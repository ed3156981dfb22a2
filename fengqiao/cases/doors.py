"""What every staff page needs, whichever app serves it: the sign-in and second-factor guard, the
signed-in user, and the cases within the user's scope (a list, or one case by its code).

The staff pages of every stage (mediation, triage, knowledge, grid work, the hotline …) and of the
staff site (``fengqiao.web``) import these from here, on the cases' floor, so that no stage imports
the staff site (which imports the stages it shows): see docs/architecture.md, "Floors"."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from fengqiao.cases import codes, policy
from fengqiao.cases.models import Case, Category, Domain
from fengqiao.org.models import Unit, User
from fengqiao.org.otp import is_verified, otp_required

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


def case_queryset(user: Any) -> QuerySet[Case]:
    return policy.restrict(Case.objects.all(), user).select_related(*CASE_RELATED)


def attach_related(cases: list[Case]) -> None:
    """Load the related rows of CASE_RELATED for ``cases`` by id, one small query per table, and
    put them in the cases' relation caches. Joining the nine relations onto the case query made
    PostgreSQL spend ~10 ms planning it (more tables than its join_collapse_limit); these lookups
    by primary key cost well under a millisecond each."""
    unit_fields = ("owner_unit", "pending_unit", "lead_unit", "location_unit", "dispatched_from")
    plan: list[tuple[tuple[str, ...], Any]] = [
        (unit_fields, Unit.objects.all()),
        (("category",), Category.objects.select_related("parent")),
        (("domain",), Domain.objects.all()),
        (("handler",), User.objects.all()),
    ]
    for fields, qs in plan:
        ids = {getattr(c, f"{f}_id") for c in cases for f in fields} - {None}
        found = qs.in_bulk(ids) if ids else {}
        for name in fields:
            field = Case._meta.get_field(name)
            for c in cases:
                pk = getattr(c, f"{name}_id")
                field.set_cached_value(c, found.get(pk) if pk is not None else None)  # type: ignore[union-attr]


def get_case_or_404(user: Any, code: str, *, visible: Q | None = None) -> Case:
    """The case with this code if ``user`` may see it; 404 for an unknown, malformed or out-of-scope
    code. ``visible`` is ``policy.visible_q(user)`` when the caller has it already."""
    norm = codes.normalise(code)
    if not codes.is_valid(norm):
        raise Http404
    case = policy.restrict(Case.objects.filter(code=norm), user, visible=visible).first()
    if case is None:
        raise Http404
    attach_related([case])
    return case
