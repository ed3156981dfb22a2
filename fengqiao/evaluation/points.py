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

"The team" is the case's mediators who joined before the event (for a star: the whole team). Each entry
names its source event; (rule, source, person) is unique, so deriving again adds nothing
(:func:`rebuild`), and a rebuild from scratch gives the same ledger. Live: a receiver awards an
event's points after its commit, with the same SQL statements filtered to that event.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
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
log = logging.getLogger(__name__)

# The ledger is derived in SQL, one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per rule: the same
# statements award one event live (``e.id = …``) and rebuild the whole ledger (no filter), so the live
# ledger and a rebuild from scratch cannot disagree, and a rebuild at millions of events never brings a
# row into Python. ``e``: the event (or ``s``: the star), ``c``: its case.
_COLUMNS = "(rule_id, source, person, user_id, mediator_id, unit_id, case_id, points, earned_at, created_at)"


def _json_text(vendor: str, key: str) -> str:
    """``e.data[key]`` as text on either database (a JSON ``true`` reads ``'true'`` on both)."""
    if vendor == "postgresql":
        return f"(e.data ->> '{key}')"
    return (
        f"(CASE json_type(e.data, '$.{key}') WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        f"ELSE json_extract(e.data, '$.{key}') END)"
    )


def _fires(trigger: str, vendor: str) -> str:
    """The SQL condition under which an event with the trigger's code earns the rule's points."""
    if trigger == "resolve_difficult":
        return "(c.risk = 'high' OR c.level >= 3)"
    if trigger in ("rate_satisfied", "rate_basic"):
        wanted = "satisfied" if trigger == "rate_satisfied" else "basic"
        return f"{_json_text(vendor, 'satisfaction')} = '{wanted}'"
    if trigger == "dual":
        return f"{_json_text(vendor, 'matter_settled')} = 'true' AND {_json_text(vendor, 'grievance_settled')} = 'true'"
    return "1 = 1"


def _tables() -> dict[str, str]:
    from fengqiao.org.models import User

    return {
        "entry": PointsEntry._meta.db_table,
        "event": CaseEvent._meta.db_table,
        "case": Case._meta.db_table,
        "team": TeamMember._meta.db_table,
        "mediator": Mediator._meta.db_table,
        "user": User._meta.db_table,
        "star": StarMark._meta.db_table,
    }


def _rule_sql(rule: PointsRule, vendor: str, only: str) -> tuple[str, list[Any]]:
    """The statement that adds ``rule``'s missing entries, for the events (or stars) ``only`` selects."""
    t = _tables()
    if rule.trigger == "star":
        src, frm = "'star:' || CAST(s.id AS TEXT)", f"{t['star']} s JOIN {t['case']} c ON c.id = s.case_id"
        at, where = "s.marked_at", f"s.active = %s {only}"
        cadre, team_at = "c.handler_id", ""  # the whole team of a starred case
        params: list[Any] = [True]
    else:
        src, frm = "'case_event:' || CAST(e.id AS TEXT)", f"{t['event']} e JOIN {t['case']} c ON c.id = e.case_id"
        at, where = "e.at", f"e.code = %s AND {_fires(rule.trigger, vendor)} {only}"
        actor = rule.trigger in ACTOR_TRIGGERS
        cadre, team_at = ("COALESCE(e.actor_id, c.handler_id)" if actor else "c.handler_id"), " AND tm.added_at <= e.at"
        params = [TRIGGER_CODES[rule.trigger]]
    if rule.beneficiary == Beneficiary.CADRE:
        who = "'u:' || CAST(u.id AS TEXT), u.id, NULL, u.unit_id"
        frm += f" JOIN {t['user']} u ON u.id = {cadre}"
    else:
        who = "'m:' || CAST(m.id AS TEXT), NULL, m.id, m.unit_id"
        frm += f" JOIN {t['team']} tm ON tm.case_id = c.id{team_at} JOIN {t['mediator']} m ON m.id = tm.mediator_id"
    # Table names from the models, conditions from this module; every value is bound.
    select = f"SELECT %s, {src}, {who}, c.id, %s, {at}, %s FROM {frm} WHERE {where}"  # noqa: S608
    sql = f"INSERT INTO {t['entry']} {_COLUMNS} {select} ON CONFLICT DO NOTHING"
    return sql, [rule.pk, rule.points, timezone.now(), *params]


def _derive(rules: Iterable[PointsRule], only: str = "", only_params: Iterable[Any] = ()) -> int:
    """Run each rule's statement; returns how many entries were new."""
    added = 0
    with connection.cursor() as cur:
        for rule in rules:
            sql, params = _rule_sql(rule, connection.vendor, only)
            cur.execute(sql, [*params, *only_params])
            added += max(cur.rowcount, 0)
    return added


def award_event(event_id: int) -> int:
    """The points one case event earns (the live receiver calls this after the event's commit)."""
    code = CaseEvent.objects.filter(pk=event_id).values_list("code", flat=True).first()
    rules = [r for r in PointsRule.objects.filter(is_active=True) if TRIGGER_CODES.get(r.trigger) == code]
    return _derive(rules, "AND e.id = %s", [event_id]) if rules else 0


def award_star(star_id: int) -> int:
    return _derive(PointsRule.objects.filter(is_active=True, trigger="star"), "AND s.id = %s", [star_id])


@dataclass
class RebuildReport:
    events: int
    added: int
    total_entries: int
    total_points: int


def rebuild(*, from_scratch: bool = False) -> RebuildReport:
    """Derive the ledger from every event. Without ``from_scratch`` only missing entries are added
    (idempotent); with it the ledger is emptied first and derived again (same result)."""
    rules = [r for r in PointsRule.objects.filter(is_active=True) if r.trigger in TRIGGER_LABELS]
    codes = sorted({TRIGGER_CODES[r.trigger] for r in rules if r.trigger in TRIGGER_CODES})
    with transaction.atomic():
        if from_scratch:
            PointsEntry.objects.all().delete()  # one DELETE: nothing cascades from an entry, no receivers
        added = _derive(rules)
    seen = CaseEvent.objects.filter(code__in=codes).count() + StarMark.objects.filter(active=True).count()
    agg = PointsEntry.objects.aggregate(n=Count("id"), p=Sum("points"))
    return RebuildReport(seen, added, agg["n"] or 0, agg["p"] or 0)


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
