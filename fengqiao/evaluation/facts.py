"""The facts a period's metrics are computed from: one row per case that any metric of the period
may count, plus what the events and satellite tables say about those cases.

One query loads the candidate cases (registered, accepted, due, concluded, closed or rated in the
period); a handful more load the event-derived sets for exactly those cases. The metrics then work
on plain Python rows, so a ranking of every town computes each metric in one pass over the rows,
bucketed by unit (:meth:`Facts.buckets`), instead of one query per unit and metric.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q

from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.cases.workflow import State
from fengqiao.evaluation.periods import Period
from fengqiao.mediation.models import MediationSession, TeamMember
from fengqiao.org.models import Unit
from fengqiao.supervision.models import AccountabilityRecord, Instruction

FIELDS = (
    "pk",
    "code",
    "created_at",
    "accepted_at",
    "accept_due",
    "contact_due",
    "first_contact_at",
    "due_at",
    "resolved_at",
    "closed_at",
    "state",
    "referral",
    "satisfaction",
    "matter_settled",
    "grievance_settled",
    "level",
    "risk",
    "channel",
    "owner_path",
    "location_path",
    "handler_id",
    "category__code",
    "merged_into_id",
)
LOCATION, CATEGORY = FIELDS.index("location_path"), FIELDS.index("category__code")
CHUNK = 2000
REPEAT_DAYS = 90


@dataclass(slots=True)
class Row:
    pk: int
    code: str
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    accept_due: dt.datetime | None
    contact_due: dt.datetime | None
    first_contact_at: dt.datetime | None
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    state: str
    referral: str
    satisfaction: str
    matter_settled: bool | None
    grievance_settled: bool | None
    level: int
    risk: str
    channel: str
    owner_path: str
    location_path: str
    handler_id: int | None
    category: str
    merged_into_id: int | None
    mediated: bool = False
    rated_at: dt.datetime | None = None
    visited: bool = False
    flagged: bool = False
    repeated: bool = False

    @property
    def place_path(self) -> str:
        """The 属地 (where the matter is), or the owner when a case has no place (a department's)."""
        return self.location_path or self.owner_path

    @property
    def merged(self) -> bool:
        return self.state == State.MERGED or self.merged_into_id is not None

    @property
    def concluded(self) -> bool:
        """Resolved or referred, and not reopened since (reopen clears ``resolved_at``)."""
        return self.resolved_at is not None

    @property
    def closed(self) -> bool:
        """Closed after a conclusion (withdraw and merge also set ``closed_at``, without one)."""
        return self.closed_at is not None and self.resolved_at is not None

    @property
    def withdrawn_or_merged(self) -> bool:
        return self.closed_at is not None and self.resolved_at is None and self.state != State.PAUSED


@dataclass(slots=True)
class InstructionRow:
    case_id: int
    owner_path: str
    place_path: str
    handler_id: int | None
    answered: bool


@dataclass
class Facts:
    period: Period
    now: dt.datetime
    rows: list[Row] = field(default_factory=list)
    instructions: list[InstructionRow] = field(default_factory=list)

    def bucket(self, scope: Scope) -> Facts:
        """The facts of one unit (its subtree) or one person."""
        return Facts(
            self.period,
            self.now,
            [r for r in self.rows if scope.holds(r.owner_path, r.place_path, r.handler_id)],
            [i for i in self.instructions if scope.holds(i.owner_path, i.place_path, i.handler_id)],
        )

    def buckets(self, units: Iterable[Unit]) -> dict[int, Facts]:
        """The facts of each of ``units`` (disjoint subtrees, e.g. all towns) in one pass. Rows are
        split twice, by owner and by place; a metric picks the split it counts by (``Bucket``)."""
        units = list(units)
        out = {u.pk: Facts(self.period, self.now) for u in units}
        by_path = {u.path: u.pk for u in units}
        depths = sorted({u.path.count("/") for u in units})

        def find(path: str) -> int | None:
            parts = path.split("/")
            for d in depths:
                pk = by_path.get("/".join(parts[:d]) + "/") if len(parts) > d else None
                if pk is not None:
                    return pk
            return None

        for r in self.rows:
            a, b = find(r.owner_path), find(r.place_path)
            if a is not None:
                out[a].rows.append(r)
            if b is not None and b != a:
                out[b].rows.append(r)
        for i in self.instructions:
            a, b = find(i.owner_path), find(i.place_path)
            if a is not None:
                out[a].instructions.append(i)
            if b is not None and b != a:
                out[b].instructions.append(i)
        return out


@dataclass(frozen=True)
class Scope:
    """A unit's subtree (``path``) or a person (``person_id``): whose cases a figure counts."""

    path: str = ""
    person_id: int | None = None

    def holds(self, owner_path: str, place_path: str, handler_id: int | None) -> bool:
        if self.person_id is not None:
            return handler_id == self.person_id
        return owner_path.startswith(self.path) or place_path.startswith(self.path)

    def by_owner(self, r: Row) -> bool:
        return r.handler_id == self.person_id if self.person_id is not None else r.owner_path.startswith(self.path)

    def by_place(self, r: Row) -> bool:
        return r.handler_id == self.person_id if self.person_id is not None else r.place_path.startswith(self.path)

    def q(self) -> Q:
        from fengqiao.org.paths import subtree_q

        if self.person_id is not None:
            return Q(handler_id=self.person_id)
        return subtree_q("owner_path", self.path) | subtree_q("location_path", self.path)


def _in(field_name: str, period: Period, now: dt.datetime) -> Q:
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lt": min(period.end, now)})


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def load(period: Period, now: dt.datetime, scope: Q | None = None) -> Facts:
    """Load the facts of ``period`` (up to ``now``) for the cases matching ``scope`` (all when None)."""
    rated = CaseEvent.objects.filter(code="case.rate", at__gte=period.start, at__lt=min(period.end, now))
    wanted = (
        _in("created_at", period, now)
        | _in("accepted_at", period, now)
        | _in("due_at", period, now)
        | _in("resolved_at", period, now)
        | _in("closed_at", period, now)
        | Q(pk__in=rated.values("case_id"))
    )
    qs = Case.objects.filter(wanted)
    if scope is not None:
        qs = qs.filter(scope)
    rows: list[Row] = []
    for values in qs.values_list(*FIELDS).iterator(chunk_size=5000):
        v: list[Any] = list(values)
        v[LOCATION] = v[LOCATION] or ""
        v[CATEGORY] = v[CATEGORY] or ""
        rows.append(Row(*v))
    facts = Facts(period, now, rows)
    by_pk = {r.pk: r for r in rows}
    ids = list(by_pk)
    for chunk in _chunks(ids):
        for cid in TeamMember.objects.filter(case_id__in=chunk).values_list("case_id", flat=True):
            by_pk[cid].mediated = True
        for cid in MediationSession.objects.filter(case_id__in=chunk).values_list("case_id", flat=True):
            by_pk[cid].mediated = True
        for cid, at in (
            CaseEvent.objects.filter(case_id__in=chunk, code="case.rate")
            .values("case_id")
            .annotate(last=Max("at"))
            .values_list("case_id", "last")
        ):
            by_pk[cid].rated_at = at
        for cid in CaseEvent.objects.filter(case_id__in=chunk, code="case.return_visit").values_list(
            "case_id", flat=True
        ):
            by_pk[cid].visited = True
        for cid in AccountabilityRecord.objects.filter(case_id__in=chunk).values_list("case_id", flat=True):
            if cid in by_pk:
                by_pk[cid].flagged = True
    _mark_repeats(facts, by_pk)
    iq = Instruction.objects.filter(created_at__gte=period.start, created_at__lt=min(period.end, now))
    if scope is not None:
        iq = iq.filter(case__in=Case.objects.filter(scope).values("pk"))
    for cid, owner, loc, handler, answered_at in iq.values_list(
        "case_id", "case__owner_path", "case__location_path", "case__handler_id", "answered_at"
    ):
        facts.instructions.append(InstructionRow(cid, owner, loc or owner, handler, answered_at is not None))
    return facts


def _mark_repeats(facts: Facts, by_pk: dict[int, Row]) -> None:
    """重复访: the applicant (by phone hash) reports again, the same level-1 type, within 90 days."""
    registered = [r for r in facts.rows if facts.period.start <= r.created_at < facts.period.end and not r.merged]
    if not registered:
        return
    hashes: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks([r.pk for r in registered]):
        for cid, h in (
            Party.objects.filter(case_id__in=chunk, role="applicant")
            .exclude(phone_hash="")
            .values_list("case_id", "phone_hash")
        ):
            hashes[cid].add(h)
    all_hashes = sorted({h for hs in hashes.values() for h in hs})
    later: dict[str, list[tuple[dt.datetime, str, int]]] = defaultdict(list)
    horizon = facts.period.end + dt.timedelta(days=REPEAT_DAYS)
    for i in range(0, len(all_hashes), CHUNK):
        for h, cid, created, cat in Party.objects.filter(
            phone_hash__in=all_hashes[i : i + CHUNK],
            role="applicant",
            case__created_at__gte=facts.period.start,
            case__created_at__lt=horizon,
        ).values_list("phone_hash", "case_id", "case__created_at", "case__category__code"):
            later[h].append((created, (cat or "")[:2], cid))
    for r in registered:
        window = r.created_at + dt.timedelta(days=REPEAT_DAYS)
        top = r.category[:2]
        for h in hashes.get(r.pk, ()):
            if any(cid != r.pk and r.created_at < at <= window and cat == top for at, cat, cid in later[h]):
                r.repeated = True
                break
