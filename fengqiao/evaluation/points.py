"""调解积分: points derived from case events by rules (data), into an append-only ledger.

Each rule has a trigger; the events that fire it:

    close              case.close                                   (the actor; the team)
    resolve            case.resolve                                 (the actor; the team)
    resolve_difficult  case.resolve of a high-risk or county-level case (the team)
    rate_satisfied     case.rate with 满意                           (the handler; the team)
    rate_basic         case.rate with 基本满意                        (the handler; the team)
    dual               case.return_visit confirming 事了 and 心结已解 (the actor; the team)
    reopen             case.reopen (a penalty)                      (the handler; the team)
    star               a leader's 加星 (StarMark)                    (the handler; the team)

"The team" is the case's mediators who joined before the event. Each entry names its source event;
(rule, source, person) is unique, so deriving again adds nothing (:func:`rebuild`), and a rebuild
from scratch gives the same ledger. Live: a receiver awards an event's points after its commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.evaluation.models import Beneficiary, PointsEntry, PointsRule, StarMark
from fengqiao.mediation.models import Mediator, TeamMember

TRIGGER_CODES = {
    "close": "case.close",
    "resolve": "case.resolve",
    "resolve_difficult": "case.resolve",
    "rate_satisfied": "case.rate",
    "rate_basic": "case.rate",
    "dual": "case.return_visit",
    "reopen": "case.reopen",
}
TRIGGER_LABELS = {
    "close": _("办结"),
    "resolve": _("化解成功"),
    "resolve_difficult": _("化解疑难复杂纠纷"),
    "rate_satisfied": _("群众满意"),
    "rate_basic": _("群众基本满意"),
    "dual": _("事心双解（回访确认）"),
    "reopen": _("重新办理（扣分）"),
    "star": _("加星事项"),
}
ACTOR_TRIGGERS = {"close", "resolve", "dual"}  # the cadre is the one who acted; otherwise the handler
BATCH = 10000
log = logging.getLogger(__name__)


def _fires(trigger: str, event: CaseEvent, case: Case) -> bool:
    data = event.data or {}
    if trigger == "resolve_difficult":
        return case.risk == "high" or case.level >= 3
    if trigger == "rate_satisfied":
        return data.get("satisfaction") == "satisfied"
    if trigger == "rate_basic":
        return data.get("satisfaction") == "basic"
    if trigger == "dual":
        return bool(data.get("matter_settled")) and bool(data.get("grievance_settled"))
    return True


def _award(
    rule: PointsRule,
    source: str,
    case_id: int,
    at: Any,
    cadre_id: int | None,
    members: Iterable[TeamMember],
    users: dict[int, Any],
) -> list[PointsEntry]:
    """The entries one firing of ``rule`` earns: the cadre's (``cadre_id``) or each team member's."""
    common = {"rule": rule, "source": source, "case_id": case_id, "points": rule.points, "earned_at": at}
    if rule.beneficiary == Beneficiary.CADRE:
        if not cadre_id:
            return []
        return [PointsEntry(person=f"u:{cadre_id}", user_id=cadre_id, unit_id=users.get(cadre_id), **common)]
    return [
        PointsEntry(person=f"m:{tm.mediator_id}", mediator_id=tm.mediator_id, unit_id=tm.mediator.unit_id, **common)
        for tm in members
    ]


def _entries_for_event(
    rules: list[PointsRule], event: CaseEvent, case: Case, team: list[TeamMember], users: dict[int, Any]
) -> list[PointsEntry]:
    out = []
    for rule in rules:
        if TRIGGER_CODES.get(rule.trigger) != event.code or not _fires(rule.trigger, event, case):
            continue
        cadre = event.actor_id if rule.trigger in ACTOR_TRIGGERS and event.actor_id else case.handler_id
        members = [tm for tm in team if tm.added_at <= event.at]
        out += _award(rule, f"case_event:{event.pk}", case.pk, event.at, cadre, members, users)
    return out


def _star_entries(
    rules: list[PointsRule], stars: Iterable[StarMark], team_by_case: dict[int, list[TeamMember]], users: dict[int, Any]
) -> list[PointsEntry]:
    out = []
    for star in stars:
        for rule in rules:
            if rule.trigger != "star":
                continue
            members = team_by_case.get(star.case_id, [])
            out += _award(rule, f"star:{star.pk}", star.case_id, star.marked_at, star.case.handler_id, members, users)
    return out


def _user_units(ids: set[int]) -> dict[int, Any]:
    from fengqiao.org.models import User

    return dict(User.objects.filter(pk__in=ids).values_list("pk", "unit_id"))


def _derive_events(events: list[CaseEvent], rules: list[PointsRule]) -> list[PointsEntry]:
    case_ids = {e.case_id for e in events}
    cases = {c.pk: c for c in Case.objects.filter(pk__in=case_ids).only("pk", "risk", "level", "handler_id")}
    team: dict[int, list[TeamMember]] = defaultdict(list)
    for tm in (
        TeamMember.objects.filter(case_id__in=case_ids)
        .select_related("mediator")
        .only("case_id", "mediator_id", "added_at", "mediator__unit_id")
    ):
        team[tm.case_id].append(tm)
    users = _user_units(
        {e.actor_id for e in events if e.actor_id} | {c.handler_id for c in cases.values() if c.handler_id}
    )
    out: list[PointsEntry] = []
    for e in events:
        out.extend(_entries_for_event(rules, e, cases[e.case_id], team.get(e.case_id, []), users))
    return out


def _save(entries: list[PointsEntry], *, empty: bool = False) -> int:
    """Store the entries the ledger does not hold yet; returns how many were new. The existing keys
    of the batch's sources are read first (one indexed query), so no COUNT over the whole ledger
    is needed; ``ignore_conflicts`` still guards a concurrent award. ``empty``: the ledger was
    emptied in this transaction (a rebuild from scratch), nothing can exist yet."""
    if not entries:
        return 0
    if not empty:
        have = set(
            PointsEntry.objects.filter(
                rule_id__in={e.rule_id for e in entries}, source__in={e.source for e in entries}
            ).values_list("rule_id", "source", "person")
        )
        entries = [e for e in entries if (e.rule_id, e.source, e.person) not in have]
    PointsEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=5000)
    return len(entries)


def award_event(event_id: int) -> int:
    """The points one case event earns (the live receiver calls this after the event's commit)."""
    rules = list(PointsRule.objects.filter(is_active=True))
    events = list(CaseEvent.objects.filter(pk=event_id))
    return _save(_derive_events(events, rules)) if events else 0


def award_star(star_id: int) -> int:
    rules = list(PointsRule.objects.filter(is_active=True, trigger="star"))
    stars = list(StarMark.objects.filter(pk=star_id, active=True).select_related("case"))
    if not stars:
        return 0
    team = defaultdict(list)
    for tm in TeamMember.objects.filter(case_id=stars[0].case_id).select_related("mediator"):
        team[tm.case_id].append(tm)
    users = _user_units({s.case.handler_id for s in stars if s.case.handler_id})
    return _save(_star_entries(rules, stars, team, users))


@dataclass(slots=True)
class _Event:
    """The fields of a case event the rules read (a rebuild reads millions: no model instances)."""

    pk: int
    case_id: int
    code: str
    actor_id: int | None
    at: dt.datetime
    data: dict[str, Any]


@dataclass
class RebuildReport:
    events: int
    added: int
    total_entries: int
    total_points: int


def rebuild(*, from_scratch: bool = False) -> RebuildReport:
    """Derive the ledger from every event. Without ``from_scratch`` only missing entries are added
    (idempotent); with it the ledger is emptied first and derived again (same result)."""
    rules = list(PointsRule.objects.filter(is_active=True))
    codes = sorted({TRIGGER_CODES[r.trigger] for r in rules if r.trigger in TRIGGER_CODES})
    added = seen = 0
    with transaction.atomic():
        if from_scratch:
            PointsEntry.objects.all().delete()
        last = 0
        while True:
            batch: list[Any] = [
                _Event(*row)
                for row in CaseEvent.objects.filter(code__in=codes, pk__gt=last)
                .order_by("pk")
                .values_list("pk", "case_id", "code", "actor_id", "at", "data")[:BATCH]
            ]
            if not batch:
                break
            last = batch[-1].pk
            seen += len(batch)
            added += _save(_derive_events(batch, rules), empty=from_scratch)
        stars = list(StarMark.objects.filter(active=True).select_related("case"))
        team = defaultdict(list)
        for tm in TeamMember.objects.filter(case_id__in=[s.case_id for s in stars]).select_related("mediator"):
            team[tm.case_id].append(tm)
        users = _user_units({s.case.handler_id for s in stars if s.case.handler_id})
        added += _save(_star_entries(rules, stars, team, users))
    agg = PointsEntry.objects.aggregate(n=Count("id"), p=Sum("points"))
    return RebuildReport(seen + len(stars), added, agg["n"] or 0, agg["p"] or 0)


def standings(start: dt.datetime, end: dt.datetime, beneficiary: str, unit_path: str = "") -> list[dict[str, Any]]:
    """Points per person earned in [start, end), best first (金牌调解员 / 干部调解绩效排名)."""
    base = PointsEntry.objects.filter(earned_at__gte=start, earned_at__lt=end)
    if unit_path:
        from fengqiao.org.paths import subtree_q

        base = base.filter(subtree_q("unit__path", unit_path))
    qs: Any
    if beneficiary == Beneficiary.MEDIATOR:
        qs = base.filter(mediator__isnull=False).values("mediator_id", "mediator__name", "unit__name")
        name_key, id_key = "mediator__name", "mediator_id"
    else:
        qs = base.filter(user__isnull=False).values("user_id", "user__display_name", "user__username", "unit__name")
        name_key, id_key = "user__display_name", "user_id"
    rows: list[dict[str, Any]] = list(
        qs.annotate(total=Sum("points"), entries=Count("id"), cases=Count("case_id", distinct=True)).order_by(
            "-total", id_key
        )
    )
    out = []
    prev, rank = None, 0
    for i, r in enumerate(rows, start=1):
        if r["total"] != prev:
            rank, prev = i, r["total"]
        out.append(
            {
                "rank": rank,
                "id": r[id_key],
                "name": r.get(name_key) or r.get("user__username") or "",
                "unit": r.get("unit__name") or "",
                "points": r["total"],
                "entries": r["entries"],
                "cases": r["cases"],
            }
        )
    return out


RATING_SCORE = {"satisfied": 5.0, "basic": 3.5, "unsatisfied": 1.0}


def track_records(mediator_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """A mediator's record from real outcomes: cases on a team, successes (concluded without referral,
    not reopened since), mean rating (满意 5, 基本满意 3.5, 不满意 1) and cases in hand (team of a case
    still open — a reopened case is in hand again)."""
    qs = TeamMember.objects.all()
    if mediator_ids is not None:
        qs = qs.filter(mediator_id__in=list(mediator_ids))
    success_q = Q(case__resolved_at__isnull=False, case__referral="") & ~Q(
        case__state__in=[State.WITHDRAWN, State.MERGED]
    )
    rows = qs.values("mediator_id").annotate(
        cases=Count("case_id", distinct=True),
        successes=Count("case_id", filter=success_q, distinct=True),
        in_hand=Count("case_id", filter=Q(case__state__in=list(OPEN_STATES)), distinct=True),
    )
    out: dict[int, dict[str, Any]] = {
        r["mediator_id"]: {
            "cases": r["cases"],
            "successes": r["successes"],
            "in_hand": r["in_hand"],
            "rating": None,
            "ratings": 0,
        }
        for r in rows
    }
    ratings: dict[int, list[float]] = defaultdict(list)
    for mid, sat in qs.exclude(case__satisfaction="").values_list("mediator_id", "case__satisfaction"):
        ratings[mid].append(RATING_SCORE.get(sat, 0.0))
    for mid, vals in ratings.items():
        if mid in out:
            out[mid]["rating"] = round(sum(vals) / len(vals), 2)
            out[mid]["ratings"] = len(vals)
    return out


def sync_track_records() -> int:
    """Write the derived figures onto the mediator pool (what team matching reads); returns rows changed."""
    records = track_records()
    changed = 0
    with transaction.atomic():
        for m in Mediator.objects.select_for_update().all():
            r = records.get(m.pk, {"cases": 0, "successes": 0, "in_hand": 0, "rating": None})
            new = (r["cases"], r["successes"], r["in_hand"], r["rating"] if r["rating"] is not None else m.rating)
            if (m.cases_total, m.cases_success, m.active_cases, m.rating) != new:
                m.cases_total, m.cases_success, m.active_cases, m.rating = new
                m.save(update_fields=["cases_total", "cases_success", "active_cases", "rating"])
                changed += 1
    return changed


def _award_safely(event_id: int) -> None:
    """After the case's commit: a failure here must not turn the user's committed action into an error
    (the next ``rebuild`` adds whatever was missed)."""
    try:
        award_event(event_id)
    except Exception:
        log.exception("points for case event %s not awarded; the next rebuild adds them", event_id)


def on_event_saved(sender: Any, instance: CaseEvent, created: bool, **kwargs: Any) -> None:
    if created and instance.code in set(TRIGGER_CODES.values()):
        pk = instance.pk
        transaction.on_commit(lambda: _award_safely(pk))
