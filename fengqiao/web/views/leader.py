"""The leader's page (领导视图): their area at a glance, escalations, overdue and followed cases,
and instructions (批示).

Every case list starts from :func:`fengqiao.cases.policy.restrict` and is then narrowed to the
subtrees of the user's units for the page's role (the leader's area). Instructions go through
``perform("instruct")``; following a case is a personal preference (``supervision.Follow``) with
an audit record, not a change of the case. The counts are computed in SQL (colour buckets from
the cases' ``yellow_at``/``red_at`` thresholds, mirroring ``Case.computed_colour``), so the page costs the same number of queries at any size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from fengqiao.cases import policy
from fengqiao.cases.actions import ActionError, Actor, perform
from fengqiao.cases.choices import Colour, Level
from fengqiao.cases.doors import get_case_or_404, staff_required
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import OPEN_STATES, RUNNING_STATES, TRANSITIONS, State
from fengqiao.core import audit
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.paths import subtree_q
from fengqiao.supervision.models import Follow, Instruction

OPEN = sorted(OPEN_STATES)
RUNNING = sorted(RUNNING_STATES)  # a paused case's clock stands still: never overdue
COLOUR_LABELS = dict(Colour.choices)
PREVIEW_ROWS = 10  # rows per list on the overview; "查看全部" pages through the rest
PAGE_ROWS = 50
INSTRUCTABLE = TRANSITIONS["instruct"].sources
# Units that receive escalations on behalf of the unit above them (分级诊疗).
RECEIVING_KINDS = (UnitKind.SUBCENTRE, UnitKind.CENTRE, UnitKind.TASKFORCE)


# ---------------------------------------------------------------------------------------------
# shared by the oversight pages


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in staff (with the second factor where required) holding one of ``roles`` in some
    unit; anyone else gets 403."""

    def deco(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @staff_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: Any = request.user
            if not hasattr(user, "has_role") or not user.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return deco


def area_cases(user: Any, role: str) -> QuerySet[Case]:
    """The cases the user may see (policy.restrict) whose owner, receiving or lead unit lies in
    the subtree of one of the units where the user holds ``role``.

    When every one of those units lies in a subtree the user may see (always, for a role that
    grants case visibility), the area is a subset of the visible cases and the policy's own
    conditions — the same path ranges again — are left out of the SQL: over a county's cases they
    doubled the per-row filter work of every count."""
    paths = policy.scope_paths(user, {role})
    area = Q(pk__in=[])
    for p in paths:
        area |= subtree_q("owner_path", p) | subtree_q("pending_path", p) | subtree_q("lead_path", p)
    visible_paths = policy.scope_paths(user)
    if paths and all(any(p.startswith(v) for v in visible_paths) for p in paths):
        return Case.objects.filter(area)
    return policy.restrict(Case.objects.all(), user).filter(area)


def visible_case(user: Any, code: str) -> Case:
    """The case with ``code`` if ``user`` may see it (policy.restrict); otherwise 404."""
    return get_case_or_404(user, code)


def colour_q(colour: str, now: dt.datetime) -> Q:
    """Open cases of a colour, in SQL: the twin of :meth:`Case.computed_colour` (red from
    ``red_at``, yellow from ``yellow_at`` — by default 7 and 14 days after registration, report
    000 — a red case stays red, a paused case keeps its stored colour)."""
    red_now = Q(red_at__lte=now)  # NULL thresholds never fire
    yellow_now = Q(yellow_at__lte=now)
    running = Q(state__in=OPEN) & ~Q(state=State.PAUSED)
    paused = Q(state=State.PAUSED, colour=colour)
    if colour == Colour.RED:
        return paused | (running & (red_now | Q(colour=Colour.RED)))
    if colour == Colour.YELLOW:
        return paused | (running & ~red_now & ~Q(colour=Colour.RED) & (yellow_now | Q(colour=Colour.YELLOW)))
    return paused | (running & ~red_now & ~yellow_now & Q(colour=Colour.GREEN))


def overdue_q(now: dt.datetime) -> Q:
    return Q(state__in=RUNNING, due_at__lt=now)


def overdue_first(qs: QuerySet[Case], n: int) -> list[int]:
    """The ids of the first ``n`` cases of the overdue list (by deadline, then id): the first ``n`` of
    each open state along the (state, due_at) index, merged here. One query over all open states
    had to sort every overdue case of the county to find the first ten."""
    rows: list[tuple[int, dt.datetime]] = []
    for state in RUNNING:
        found = qs.filter(state=state, due_at__isnull=False).order_by("due_at", "id").values_list("pk", "due_at")[:n]
        rows.extend((pk, due) for pk, due in found if due is not None)
    return [pk for pk, _due in sorted(rows, key=lambda r: (r[1], r[0]))[:n]]


def row_queryset(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("owner_unit", "pending_unit", "handler", "category")


def fetch_rows(ids: list[int], decorate: Callable[[QuerySet[Case]], QuerySet[Case]]) -> list[Case]:
    """Load the listed cases (with their related rows and annotations) in the order of ``ids``."""
    if not ids:
        return []
    by_id = {c.pk: c for c in decorate(Case.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


def id_page(qs: QuerySet[Case], page_number: Any, decorate: Callable[[QuerySet[Case]], QuerySet[Case]]) -> Any:
    """A page of cases id-first: count and order on the case table alone, then load only the page's
    rows with their joins (sorting tens of thousands of joined rows for 50 is what made county-wide
    lists slow)."""
    page = Paginator(qs.values_list("pk", flat=True), PAGE_ROWS).get_page(page_number)
    page.object_list = fetch_rows(list(page.object_list), decorate)  # type: ignore[assignment]
    return page


def preview(qs: QuerySet[Case], decorate: Callable[[QuerySet[Case]], QuerySet[Case]]) -> tuple[list[Case], bool]:
    """The first rows of a list for the overview, and whether there are more."""
    ids = list(qs.values_list("pk", flat=True)[: PREVIEW_ROWS + 1])
    return fetch_rows(ids[:PREVIEW_ROWS], decorate), len(ids) > PREVIEW_ROWS


def bars(counts: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """(key, label, n) → rows with a percentage of the largest count for CSS bars."""
    top = max((n for _k, _l, n in counts), default=0) or 1
    return [{"key": k, "label": label, "n": n, "pct": round(100 * n / top)} for k, label, n in counts]


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def action_error_text(err: ActionError) -> str:
    details: list[str] = []
    for field, errs in (err.errors or {}).items():
        items = errs if isinstance(errs, list | tuple) else [errs]
        details.extend(f"{field}: {e}" if field != "non_field_errors" else str(e) for e in items)
    return err.message + (("（" + "；".join(details) + "）") if details else "")


# ---------------------------------------------------------------------------------------------
# the leader's page

LISTS = {
    "open": _l("在办案件"),
    "escalated": _l("报送本级待接收及高等级案件"),
    "overdue": _l("超期案件"),
    "followed": _l("我关注的案件"),
    "green": _l("绿码案件"),
    "yellow": _l("黄码案件"),
    "red": _l("红码案件"),
    "instructions": _l("我的批示"),
}


def _lists(user: Any, now: dt.datetime, area: QuerySet[Case]) -> dict[str, QuerySet[Case]]:
    unit_ids = [g.unit_id for g in user.role_grants() if g.role == Role.LEADER]
    escalated = area.filter(
        Q(state=State.DISPATCHED, pending_unit_id__in=unit_ids)
        | Q(state=State.DISPATCHED, pending_unit__parent_id__in=unit_ids, pending_unit__kind__in=RECEIVING_KINDS)
        | Q(state__in=OPEN, level__gte=Level.ORANGE)
    )
    followed_ids = Follow.objects.filter(user=user).values("case_id")
    followed = policy.restrict(Case.objects.filter(pk__in=followed_ids), user)
    return {
        "open": area.filter(state__in=OPEN).order_by("created_at", "id"),
        "escalated": escalated.order_by("-level", "created_at", "id"),
        "overdue": area.filter(overdue_q(now)).order_by("due_at", "id"),
        "followed": followed.order_by("-created_at", "-id"),
        "green": area.filter(colour_q(Colour.GREEN, now)).order_by("created_at", "id"),
        "yellow": area.filter(colour_q(Colour.YELLOW, now)).order_by("created_at", "id"),
        "red": area.filter(colour_q(Colour.RED, now)).order_by("created_at", "id"),
    }


def _decorate(qs: QuerySet[Case], user: Any) -> QuerySet[Case]:
    return row_queryset(qs).annotate(
        is_followed=Exists(Follow.objects.filter(user=user, case=OuterRef("pk"))),
        has_open_instruction=Exists(
            Instruction.objects.filter(case=OuterRef("pk"), author=user, answered_at__isnull=True)
        ),
    )


def _rows(cases: list[Case], now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "case": c,
            "colour": c.computed_colour(now),
            "colour_label": COLOUR_LABELS.get(c.computed_colour(now), ""),
            "overdue": c.is_overdue(now),
            "can_instruct": c.state in INSTRUCTABLE,
        }
        for c in cases
    ]


def _instructions(user: Any) -> QuerySet[Instruction]:
    visible = policy.restrict(Case.objects.all(), user).values("pk")
    return (
        Instruction.objects.filter(author=user, case__in=visible)
        .select_related("case", "answered_by")
        .order_by("-created_at", "-id")
    )


@role_required(Role.LEADER)
def leader(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    area = area_cases(user, Role.LEADER)
    lists = _lists(user, now, area)
    which = request.GET.get("list", "")
    if which and which not in LISTS:
        raise Http404
    ctx: dict[str, Any] = {"now": now, "lists_meta": LISTS, "which": which}
    if which == "instructions":
        ipage = Paginator(_instructions(user), PAGE_ROWS).get_page(request.GET.get("page"))
        ctx.update(page=ipage, instructions=list(ipage.object_list), list_title=LISTS[which])
        return render(request, "web/oversight/leader_list.html", ctx)
    if which:
        page = id_page(lists[which], request.GET.get("page"), lambda qs: _decorate(qs, user))
        ctx.update(page=page, rows=_rows(list(page.object_list), now), list_title=LISTS[which])
        return render(request, "web/oversight/leader_list.html", ctx)

    # One pass over the area's cases for every figure of the page (totals, colours, states).
    counts = area.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state__in=OPEN)),
        overdue=Count("id", filter=overdue_q(now)),
        green=Count("id", filter=colour_q(Colour.GREEN, now)),
        yellow=Count("id", filter=colour_q(Colour.YELLOW, now)),
        red=Count("id", filter=colour_q(Colour.RED, now)),
        **{f"state_{s.value}": Count("id", filter=Q(state=s.value)) for s in State},
    )
    by_state = {s.value: counts.pop(f"state_{s.value}") for s in State}
    totals = counts
    state_rows = bars([(s.value, str(s.label), by_state.get(s.value, 0)) for s in State if by_state.get(s.value)])
    colour_rows = bars([(c.value, str(c.label), totals[c.value]) for c in Colour])
    sections = []
    for key in ("escalated", "overdue", "followed"):
        qs = lists[key]
        if key == "overdue":
            ids = overdue_first(qs, PREVIEW_ROWS + 1)
            cases, more = fetch_rows(ids[:PREVIEW_ROWS], lambda q: _decorate(q, user)), len(ids) > PREVIEW_ROWS
        else:
            cases, more = preview(qs, lambda q: _decorate(q, user))
        sections.append({"key": key, "title": LISTS[key], "rows": _rows(cases, now), "more": more})
    instr = _instructions(user)
    instr_counts = instr.aggregate(total=Count("id"), unanswered=Count("id", filter=Q(answered_at__isnull=True)))
    ctx.update(
        totals=totals,
        state_rows=state_rows,
        colour_rows=colour_rows,
        sections=sections,
        instructions=list(instr[:PREVIEW_ROWS]),
        instr_counts=instr_counts,
        units=[g.unit for g in user.role_grants() if g.role == Role.LEADER],
    )
    return render(request, "web/oversight/leader.html", ctx)


@require_POST
@role_required(Role.LEADER)
def instruct(request: HttpRequest, code: str) -> HttpResponse:
    case = visible_case(request.user, code)
    back = safe_next(request, reverse("web:leader"))
    try:
        perform("instruct", case, Actor.staff(request.user), {"text": request.POST.get("text", "").strip()}, via="web")
    except ActionError as err:
        messages.error(request, _("批示未能提交：%(why)s") % {"why": action_error_text(err)})
    else:
        messages.success(request, _("已对案件 %(code)s 作出批示，已推送给承办人员。") % {"code": case.display_code})
    return redirect(back)


@require_POST
@role_required(Role.LEADER)
def follow(request: HttpRequest, code: str) -> HttpResponse:
    user: Any = request.user
    case = visible_case(user, code)
    with transaction.atomic():
        _obj, created = Follow.objects.get_or_create(user=user, case=case)
        if created:
            audit.record("case.follow", user=request.user, obj=case)
    if created:
        messages.success(request, _("已关注案件 %(code)s。") % {"code": case.display_code})
    return redirect(safe_next(request, reverse("web:leader")))


@require_POST
@role_required(Role.LEADER)
def unfollow(request: HttpRequest, code: str) -> HttpResponse:
    user: Any = request.user
    case = visible_case(user, code)
    with transaction.atomic():
        deleted, _n = Follow.objects.filter(user=user, case=case).delete()
        if deleted:
            audit.record("case.unfollow", user=request.user, obj=case)
    if deleted:
        messages.success(request, _("已取消关注案件 %(code)s。") % {"code": case.display_code})
    return redirect(safe_next(request, reverse("web:leader")))
