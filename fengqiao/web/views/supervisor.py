"""The supervisor's page (监督视图, 纪检监督): overdue cases, cases pushed back and forth (推诿扯皮),
stalled cases, and a read-only timeline of any case in their area.

Detection is done in SQL over ``CaseEvent`` (codes and ``data`` {"from", "to"}): a case appears
when it has three or more transfer/return/decline/escalate events, or when one unit sent it to
another and that unit sent it back (A→B and B→A), whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DateTimeField, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Greatest, Least
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _l

from fengqiao.cases.choices import Level
from fengqiao.cases.events import event_label, via_label
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.cases.workflow import State
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit, User
from fengqiao.web.views.leader import (
    COLOUR_LABELS,
    PREVIEW_ROWS,
    RUNNING,
    area_cases,
    fetch_rows,
    id_page,
    overdue_first,
    overdue_q,
    preview,
    role_required,
    row_queryset,
    visible_case,
)

# Events that move a case away from a unit (counted for "transferred repeatedly").
MOVE_CODES = ["case.transfer", "case.return", "case.decline", "case.escalate"]
# Events considered for back-and-forth: a dispatch (交办) can be the first leg of a bounce.
BOUNCE_CODES = [*MOVE_CODES, "case.assign_unit"]
REPEAT_THRESHOLD = 3
STALL_AFTER = dt.timedelta(days=7)

LISTS = {
    "overdue": _l("超期案件"),
    "bounced": _l("反复流转（推诿扯皮）"),
    "stalled": _l("停滞案件（7天以上无进展）"),
}


def moves() -> Any:
    """Move events with their sending and receiving unit ids as text (a decline sends the case
    from the declining unit back to the owner)."""
    return CaseEvent.objects.filter(code__in=BOUNCE_CODES).annotate(
        src=Coalesce(KT("data__from"), KT("data__declined_by")),
        dst=Coalesce(KT("data__to"), KT("data__back_to")),
    )


def bounced_case_ids() -> list[int]:
    """Ids of the cases with ≥ 3 moves or sent back and forth between two units, from two
    aggregations over the move events (no per-case work). A pair of units {A, B} counts as back and
    forth when the case's moves between them go both ways: grouped by case and unordered pair, the
    moves have two distinct senders. The result is materialised so the case query that uses it stays
    a primary-key lookup (an OR of two correlated subqueries over 100,000 cases made PostgreSQL plan
    a sequential scan and spend seconds compiling it with JIT)."""
    many = (
        CaseEvent.objects.filter(code__in=MOVE_CODES)
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gte=REPEAT_THRESHOLD)
        .values_list("case_id", flat=True)
    )
    m: Any = moves()
    pairs = (
        m.filter(src__isnull=False, dst__isnull=False)
        .annotate(lo=Least("src", "dst"), hi=Greatest("src", "dst"))
        .order_by()
        .values("case_id", "lo", "hi")
        .annotate(senders=Count("src", distinct=True))
        .filter(senders__gte=2)
        .values_list("case_id", flat=True)
    )
    return sorted(set(many) | set(pairs))


def _move_count() -> Subquery:
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), code__in=MOVE_CODES)
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def _last_event_at() -> Subquery:
    return Subquery(CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id").values("at")[:1])


def _lists(user: Any, now: dt.datetime, bounced: list[int]) -> dict[str, QuerySet[Case]]:
    area = area_cases(user, Role.SUPERVISOR)
    recent = CaseEvent.objects.filter(case=OuterRef("pk"), at__gte=now - STALL_AFTER)
    return {
        "overdue": area.filter(overdue_q(now)).order_by("due_at", "id"),
        "bounced": area.filter(pk__in=bounced)
        .annotate(moves_n=Coalesce(_move_count(), 0))
        .order_by("-moves_n", "-created_at", "-id"),
        "stalled": area.filter(state__in=RUNNING).filter(~Exists(recent)).order_by("created_at", "id"),
    }


def _counts(user: Any, now: dt.datetime, bounced: list[int]) -> dict[str, int]:
    """The three lists' sizes in one pass over the area's cases (conditional aggregation) instead of
    one COUNT each. "No event for 7 days" is tested against the set of cases with a recent event
    (one index range on the event time, hashed), not with a correlated subquery per case."""
    recent = CaseEvent.objects.filter(at__gte=now - STALL_AFTER).values("case_id")
    return area_cases(user, Role.SUPERVISOR).aggregate(
        overdue=Count("pk", filter=overdue_q(now)),
        bounced=Count("pk", filter=Q(pk__in=bounced)),
        stalled=Count("pk", filter=Q(state__in=RUNNING) & ~Q(pk__in=recent)),
    )


def _chains(cases: list[Case]) -> dict[int, list[dict[str, Any]]]:
    """The route of each listed case through units (two queries for the whole page)."""
    if not cases:
        return {}
    events = list(
        moves()
        .filter(case_id__in=[c.pk for c in cases])
        .order_by("at", "id")
        .values("case_id", "code", "at", "src", "dst")
    )
    ids = {int(v) for e in events for v in (e["src"], e["dst"]) if v not in (None, "")}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    out: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        out.setdefault(e["case_id"], []).append(
            {
                "label": event_label(e["code"]),
                "at": e["at"],
                "src": names.get(int(e["src"])) if e["src"] not in (None, "") else "",
                "dst": names.get(int(e["dst"])) if e["dst"] not in (None, "") else "",
            }
        )
    return out


def _decorate(qs: QuerySet[Case]) -> QuerySet[Case]:
    return row_queryset(qs).annotate(last_event_at=_last_event_at(), moves_n=Coalesce(_move_count(), 0))


def _pairs(chain: list[dict[str, Any]]) -> list[str]:
    """The unit pairs a case went back and forth between ("A ⇄ B"), from its listed route."""
    seen: set[tuple[str, str]] = set()
    pairs: list[str] = []
    for m in chain:
        if (m["dst"], m["src"]) in seen and m["src"] and m["dst"]:
            pair = " ⇄ ".join(sorted((m["src"], m["dst"])))
            if pair not in pairs:
                pairs.append(pair)
        seen.add((m["src"], m["dst"]))
    return pairs


def _rows(key: str, cases: list[Case], now: dt.datetime) -> list[dict[str, Any]]:
    chains = _chains(cases) if key == "bounced" else {}
    return [
        {
            "case": c,
            "colour": c.computed_colour(now),
            "colour_label": COLOUR_LABELS.get(c.computed_colour(now), ""),
            "overdue_days": (now - c.due_at).days if c.due_at and c.is_overdue(now) else None,
            "idle_days": (now - c.last_event_at).days if getattr(c, "last_event_at", None) else None,  # type: ignore[attr-defined]
            "chain": chains.get(c.pk, []),
            "pairs": _pairs(chains.get(c.pk, [])),
        }
        for c in cases
    ]


@role_required(Role.SUPERVISOR)
def supervisor(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now = timezone.now()
    bounced = bounced_case_ids()
    lists = _lists(user, now, bounced)
    which = request.GET.get("list", "")
    if which and which not in LISTS:
        raise Http404
    ctx: dict[str, Any] = {"now": now, "lists_meta": LISTS, "which": which}
    if which:
        page = id_page(lists[which], request.GET.get("page"), _decorate)
        ctx.update(page=page, rows=_rows(which, list(page.object_list), now), list_title=LISTS[which])
        return render(request, "web/oversight/supervisor_list.html", ctx)
    counts = _counts(user, now, bounced)
    sections = []
    for key in ("overdue", "bounced", "stalled"):
        qs = lists[key]
        if key == "overdue":
            ids = overdue_first(qs, PREVIEW_ROWS + 1)
            cases, more = fetch_rows(ids[:PREVIEW_ROWS], _decorate), len(ids) > PREVIEW_ROWS
        else:
            cases, more = preview(qs, _decorate)
        sections.append(
            {
                "key": key,
                "title": LISTS[key],
                "count": counts[key],
                "rows": _rows(key, cases, now),
                "more": more,
            }
        )
    ctx.update(sections=sections, units=[g.unit for g in user.role_grants() if g.role == Role.SUPERVISOR])
    return render(request, "web/oversight/supervisor.html", ctx)


# ---------------------------------------------------------------------------------------------
# the read-only timeline

UNIT_KEYS = ("from", "to", "declined_by", "back_to", "unit", "lead_unit", "owner_unit")
UNIT_FIELDS = {"owner_unit", "pending_unit", "lead_unit", "location_unit", "dispatched_from"}
USER_FIELDS = {"handler", "registered_by"}
HIDDEN_FIELDS = {"version", "state", "paused_from"}  # the state change is shown on its own


def _field_label(name: str) -> str:
    try:
        return str(getattr(Case._meta.get_field(name), "verbose_name", name))
    except Exception:
        return name


def _value(name: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    """One raw before/after value (as stored on the event) in words."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if name in UNIT_FIELDS and isinstance(value, int):
        return names["units"].get(value, str(value))
    if name in USER_FIELDS and isinstance(value, int):
        return names["users"].get(value, str(value))
    if name == "category" and isinstance(value, int):
        return names["categories"].get(value, str(value))
    if name == "state":
        return str(State(value).label) if value in State.values else str(value)
    if name == "level":
        return str(Level(value).label) if value in Level.values else str(value)
    try:
        field = Case._meta.get_field(name)
    except Exception:
        field = None
    if isinstance(field, DateTimeField) and isinstance(value, str):
        try:
            return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    choices = dict(getattr(field, "choices", None) or [])
    return str(choices.get(value, value))


def _names(events: list[CaseEvent]) -> dict[str, dict[int, str]]:
    """Names of the units, people and dispute types the events refer to (three queries at most)."""
    ids: dict[str, set[int]] = {"units": set(), "users": set(), "categories": set()}
    for e in events:
        for k in UNIT_KEYS:
            if isinstance(e.data.get(k), int):
                ids["units"].add(e.data[k])
        for side in (e.before, e.after):
            for attname, v in side.items():
                if not isinstance(v, int) or isinstance(v, bool):
                    continue
                name = attname.removesuffix("_id")
                if name in UNIT_FIELDS:
                    ids["units"].add(v)
                elif name in USER_FIELDS:
                    ids["users"].add(v)
                elif name == "category":
                    ids["categories"].add(v)
    names: dict[str, dict[int, str]] = {"units": {}, "users": {}, "categories": {}}
    if ids["units"]:
        names["units"] = dict(Unit.objects.filter(pk__in=ids["units"]).values_list("pk", "name"))
    if ids["users"]:
        names["users"] = {u.pk: str(u) for u in User.objects.filter(pk__in=ids["users"])}
    if ids["categories"]:
        names["categories"] = {c.pk: str(c) for c in Category.objects.filter(pk__in=ids["categories"])}
    return names


@role_required(Role.SUPERVISOR)
def timeline(request: HttpRequest, code: str) -> HttpResponse:
    case = visible_case(request.user, code)
    events = list(case.events.select_related("actor", "actor_unit").order_by("at", "id"))
    names = _names(events)
    units = names["units"]
    roles = dict(Role.choices)
    items = []
    previous_at = case.created_at
    for e in events:
        route = [units.get(e.data[k], "") for k in ("from", "declined_by") if isinstance(e.data.get(k), int)]
        route += [units.get(e.data[k], "") for k in ("to", "back_to") if isinstance(e.data.get(k), int)]
        changes = []
        for attname, after in e.after.items():
            name = attname.removesuffix("_id")
            if name in HIDDEN_FIELDS:
                continue
            changes.append(
                {
                    "field": _field_label(name),
                    "before": _value(name, e.before.get(attname), names),
                    "after": _value(name, after, names),
                }
            )
        gap = e.at - previous_at
        previous_at = e.at
        items.append(
            {
                "e": e,
                "label": event_label(e.code),
                "role": roles.get(e.actor_role, e.actor_role),
                "via": via_label(e.via),
                "state_before": _value("state", e.state_before, names) if e.state_before else "",
                "state_after": _value("state", e.state_after, names),
                "route": route if len(route) == 2 else [],
                "changes": changes,
                "gap_days": gap.days if gap >= STALL_AFTER else None,
            }
        )
    now = timezone.now()
    idle = now - events[-1].at if events else None
    ctx = {
        "case": case,
        "items": items,
        "colour": case.computed_colour(now),
        "overdue": case.is_overdue(now),
        "idle_days": idle.days if idle is not None and case.state in RUNNING and idle >= STALL_AFTER else None,
        "moves": sum(1 for e in events if e.code in MOVE_CODES),
        "instructions": list(case.instructions.select_related("author", "answered_by").order_by("created_at")),
    }
    return render(request, "web/oversight/timeline.html", ctx)
