"""The cases each metric counts, written once in SQL: the per-unit sums (:mod:`.sums`) group these
querysets by the path a metric attributes a case to, and the drill-down (:func:`drill`) filters the
same querysets to one unit's subtree and lists them page by page. So a drill-down's lists are, by
construction, the cases its figure counts, and its cost follows the unit's cases, not the county's.

A family is the candidate cases of one period (concluded, due, closed, rated, registered, accepted),
annotated with what its conditions read (mediated, visited, flagged, repeated), the path it is
grouped by (``owner_path``, or ``place``: the 属地, ``location_path`` else the owner's), and per
metric a pair (numerator condition, denominator condition; None: every case of the family).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, Substr

from fengqiao.cases.choices import Satisfaction
from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.cases.workflow import State
from fengqiao.evaluation.facts import REPEAT_DAYS
from fengqiao.evaluation.metrics import MEAN, MICROS_PER_DAY, OWNER, REGISTRY
from fengqiao.mediation.models import MediationSession, TeamMember
from fengqiao.org.paths import subtree_q
from fengqiao.supervision.models import AccountabilityRecord, Instruction

Spec = dict[str, tuple[Q | None, Q | None]]  # metric → (numerator condition or None: all, denominator or None)


@dataclass(frozen=True)
class Family:
    cases: QuerySet[Case]
    by: str  # "owner_path" or "place"
    spec: Spec


def place() -> Any:
    """The place a case counts for: its ``location_path``, else its owner's path."""
    return CaseWhen(When(location_path="", then=F("owner_path")), default=F("location_path"), output_field=CharField())


def place_q(path: str) -> Q:
    """Cases whose place lies under ``path`` (``place()`` starts with it), as two index ranges."""
    return subtree_q("location_path", path) | (Q(location_path="") & subtree_q("owner_path", path))


def _in(name: str, start: dt.datetime, end: dt.datetime) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def families(start: dt.datetime, end: dt.datetime) -> list[Family]:
    """Every built-in family of [start, end) (``end`` is the period's end or now, whichever first)."""
    base = Case.objects.order_by()
    merged = Q(state=State.MERGED) | Q(merged_into__isnull=False)
    concluded = base.filter(_in("resolved_at", start, end)).annotate(
        tm=Exists(TeamMember.objects.filter(case_id=OuterRef("pk"))),
        ms=Exists(MediationSession.objects.filter(case_id=OuterRef("pk"))),
    )
    mediated = Q(tm=True) | Q(ms=True)
    court = Q(channel="court")
    due = (
        base.filter(_in("due_at", start, end))
        .exclude(merged)
        .exclude(state=State.PAUSED)
        .exclude(closed_at__isnull=False, resolved_at__isnull=True)
    )
    closed = base.filter(_in("closed_at", start, end), resolved_at__isnull=False)
    visited = closed.annotate(
        visited=Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), code="case.return_visit"))
    )
    dual_den = Q(visited=True, matter_settled__isnull=False)
    # The case's last rating falls in the period: rated in it, and not again after it.
    rated_in = CaseEvent.objects.filter(case_id=OuterRef("pk"), code="case.rate", at__gte=start, at__lt=end)
    later = CaseEvent.objects.filter(case_id=OuterRef("pk"), code="case.rate", at__gte=end)
    rated = base.exclude(satisfaction="").filter(Exists(rated_in)).filter(~Exists(later))
    good = Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
    registered = base.filter(_in("created_at", start, end)).exclude(merged)
    flagged = registered.annotate(flagged=Exists(AccountabilityRecord.objects.filter(case_id=OuterRef("pk"))))
    accepted = base.filter(_in("accepted_at", start, end))
    contacted = Q(first_contact_at__isnull=False) & (
        Q(contact_due__isnull=True) | Q(first_contact_at__lte=F("contact_due"))
    )
    return [
        Family(
            concluded,
            "owner_path",
            {
                "success_rate": (mediated & Q(referral=""), mediated),
                "prelit_success_rate": (court & Q(referral=""), court),
            },
        ),
        Family(
            due,
            "owner_path",
            {"completion_rate": (Q(closed_at__isnull=False, resolved_at__isnull=False, closed_at__lt=end), None)},
        ),
        Family(
            visited,
            "owner_path",
            {
                "ontime_rate": (Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")), None),
                "dual_rate": (dual_den & Q(matter_settled=True, grievance_settled=True), dual_den),
                "avg_days": (None, None),  # a mean: the sum of days over these cases (sums.compute)
            },
        ),
        Family(closed.annotate(place=place()), "place", {"local_rate": (Q(level__lte=2), None)}),
        Family(
            rated,
            "owner_path",
            {
                "satisfaction_rate": (good, None),
                "satisfaction_strict": (Q(satisfaction=Satisfaction.SATISFIED), None),
            },
        ),
        Family(flagged, "owner_path", {"flagged_rate": (Q(flagged=True), None)}),
        Family(
            repeats(registered).annotate(place=place()),
            "place",
            {"repeat_rate": (Q(repeated=True), None), "high_risk_share": (Q(risk="high"), None)},
        ),
        Family(
            accepted,
            "owner_path",
            {
                "response_rate": (contacted, None),
                "accept_ontime_rate": (Q(accept_due__isnull=True) | Q(accepted_at__lte=F("accept_due")), None),
            },
        ),
    ]


def repeats(registered: QuerySet[Case]) -> QuerySet[Case]:
    """``repeated``: an applicant of the case (by phone hash) reports again within 90 days, same
    level-1 type (the first two characters of the type code), as ``facts._mark_repeats``."""
    top = Substr(Coalesce("category__code", Value("")), 1, 2)
    again = (
        Party.objects.filter(role="applicant", phone_hash=OuterRef("phone_hash"))
        .exclude(case_id=OuterRef(OuterRef("pk")))
        .annotate(top=Substr(Coalesce("case__category__code", Value("")), 1, 2))
        .filter(
            case__created_at__gt=OuterRef(OuterRef("created_at")),
            case__created_at__lte=OuterRef(OuterRef("window")),
            top=OuterRef(OuterRef("top")),
        )
    )
    mine = Party.objects.filter(case_id=OuterRef("pk"), role="applicant").exclude(phone_hash="").filter(Exists(again))
    return registered.annotate(top=top, window=F("created_at") + dt.timedelta(days=REPEAT_DAYS), repeated=Exists(mine))


def instructions(start: dt.datetime, end: dt.datetime) -> QuerySet[Instruction]:
    """批示回复率 counts instructions, attributed to their case's owner."""
    return Instruction.objects.filter(_in("created_at", start, end))


# --- the drill-down: one metric, one unit ---------------------------------------------------------


@dataclass
class Drill:
    """The cases of one metric for one unit: ``den`` (the denominator's cases, annotated ``in_num``)
    and ``num`` (the numerator's); :meth:`counts` gives the figure's numerator and denominator as the
    metric counts them (days for a mean, instructions for 批示回复率), over those very cases."""

    key: str
    den: QuerySet[Case]
    num: QuerySet[Case]
    counted: Callable[[], tuple[float, int]]
    cases_are_units: bool = True  # the denominator counts cases (not instructions)

    def counts(self) -> tuple[float, int]:
        return self.counted()


# A later app's metric offers its cases: ``cases(start, end)`` → (queryset, numerator condition,
# denominator condition or None), attributed as the metric says (owner or place).
CasesHook = Callable[[dt.datetime, dt.datetime], tuple[QuerySet[Case], Q, Q | None]]


def find(key: str, start: dt.datetime, end: dt.datetime) -> tuple[QuerySet[Case], str, Q | None, Q | None] | None:
    """The family of ``key``: (cases, attribution, numerator condition, denominator condition)."""
    for fam in families(start, end):
        if key in fam.spec:
            num, den = fam.spec[key]
            return fam.cases, ("owner" if fam.by == "owner_path" else "place"), num, den
    m = REGISTRY.get(key)
    hook = getattr(m, "cases", None) if m is not None else None
    if hook is not None:
        qs, num, den = hook(start, end)
        return qs, m.attribution if m is not None else OWNER, num, den
    return None


def drill(key: str, start: dt.datetime, end: dt.datetime, path: str) -> Drill | None:
    """The metric's cases under ``path``, or None when the metric has no SQL definition (the caller
    then uses the facts engine). Nothing is read until the querysets or :meth:`Drill.counts` are."""
    if key == "instruction_answer_rate":  # counts instructions; lists their cases
        ins = instructions(start, end).filter(subtree_q("case__owner_path", path))
        answered = ins.filter(case_id=OuterRef("pk"), answered_at__isnull=False)
        den: Any = Case.objects.filter(pk__in=ins.values("case_id")).annotate(in_num=Exists(answered))

        def count_instructions() -> tuple[float, int]:
            got = ins.aggregate(n=Count("pk", filter=Q(answered_at__isnull=False)), d=Count("pk"))
            return got["n"], got["d"]

        return Drill(key, den, den.filter(in_num=True), count_instructions, cases_are_units=False)
    found = find(key, start, end)
    if found is None:
        return None
    qs, attribution, num_q, den_q = found
    qs = qs.filter(subtree_q("owner_path", path) if attribution == OWNER else place_q(path))
    den = qs.filter(den_q) if den_q is not None else qs
    if num_q is None:  # a mean: every case of the denominator is in its sum
        mean: Any = den.annotate(in_num=Value(True, output_field=BooleanField()))

        def count_days() -> tuple[float, int]:
            micros, count = 0, 0
            for created, resolved in mean.values_list("created_at", "resolved_at").iterator(chunk_size=5000):
                assert resolved is not None  # the closed cases are concluded
                micros += (resolved - created) // dt.timedelta(microseconds=1)
                count += 1
            return (micros / MICROS_PER_DAY if REGISTRY[key].kind == MEAN else micros), count

        return Drill(key, mean, mean, count_days)
    flagged: Any = den.annotate(in_num=ExpressionWrapper(num_q, output_field=BooleanField()))

    def count_cases() -> tuple[float, int]:
        got = flagged.aggregate(n=Count("pk", filter=num_q), d=Count("pk"))
        return got["n"], got["d"]

    return Drill(key, flagged, flagged.filter(num_q), count_cases)
