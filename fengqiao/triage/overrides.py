"""Routing that learns (issue 20, part 2): how often each routing rule is overridden, and toward whom.

Read-only over recorded events. A case's rule is the one its registration event names
(``case.register`` → ``data["triage"]["rule"]``; else a ``case.triage`` event, else the stored
:class:`~fengqiao.triage.models.TriageResult`). An **override** is a dispatcher's transfer (``case.transfer``)
away from the routed unit within ``OVERRIDE_HOURS`` (72 h) of registration — the first one only; its
target is where the rule "should" have sent the case.

A **suggestion** appears for a rule with at least ``MIN_OVERRIDES`` (5) overrides in the last
``WINDOW_DAYS`` (90) days, at least ``MIN_RATE`` (20 %) of the cases it routed, and one target taking at
least ``MIN_SHARE`` (60 %) of its overrides. If the rule has no leaf type of its own and ``CATEGORY_SHARE``
(80 %) of those overrides are of one type, the suggestion is a new, more specific rule (that type → the
target) placed just before it; otherwise it is to change the rule's owner to the target. Nothing changes
until an administrator accepts it (:func:`fengqiao.triage.actions.decide_suggestion`, audited).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

WINDOW_DAYS = 90
OVERRIDE_HOURS = 72
MIN_OVERRIDES = 5
MIN_RATE = 0.2
MIN_SHARE = 0.6
CATEGORY_SHARE = 0.8


@dataclass
class Suggestion:
    kind: str  # SuggestionKind value
    target: Any  # org.Unit
    toward: int
    category: Any = None  # cases.Category for NEW_RULE

    def text(self, rule: Any) -> str:
        if self.kind == "new_rule" and self.category is not None:
            return f"新增规则：类型={self.category.name}（其余条件同本规则）→ {self.target.name}，排在本规则之前"
        return f"将本规则的责任单位改为 {self.target.name}"


@dataclass
class RuleStat:
    rule: Any
    routed: int = 0
    overridden: int = 0
    targets: Counter[int] = field(default_factory=Counter)
    categories: dict[int, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    units: dict[int, Any] = field(default_factory=dict)
    suggestion: Suggestion | None = None

    @property
    def rate(self) -> float:
        return self.overridden / self.routed if self.routed else 0.0

    @property
    def top(self) -> tuple[Any, int] | None:
        if not self.targets:
            return None
        unit_id, n = self.targets.most_common(1)[0]
        return self.units.get(unit_id), n

    def targets_list(self) -> list[dict[str, Any]]:
        return [
            {"unit": u, "name": getattr(self.units.get(u), "name", str(u)), "n": n}
            for u, n in self.targets.most_common(5)
        ]

    def sentence(self) -> str:
        top = self.top
        if top is None:
            return f"近{WINDOW_DAYS}天分流 {self.routed} 件，未被改派"
        unit, n = top
        return (
            f"近{WINDOW_DAYS}天分流 {self.routed} 件，被改派 {self.overridden} 次（{self.rate:.0%}），"
            f"多数改派至 {getattr(unit, 'name', '—')}（{n} 次）"
        )


def _registrations(
    since: dt.datetime, case_ids: set[int] | None = None
) -> dict[int, tuple[int, dt.datetime, Any, Any]]:
    """case id → (rule id, registered at, routed owner unit id, category id)."""
    from fengqiao.cases.models import CaseEvent

    qs = CaseEvent.objects.filter(code="case.register", at__gte=since)
    out: dict[int, tuple[int, dt.datetime, Any, Any]] = {}
    for case_id, at, rule, owner, cat in qs.values_list(
        "case_id", "at", "data__triage__rule", "after__owner_unit", "after__category"
    ):
        if rule is not None:
            out[case_id] = (int(rule), at, owner, cat)
    # triage recorded in its own event (after registration), or only in the stored result
    later = CaseEvent.objects.filter(code="case.triage", at__gte=since).values_list(
        "case_id", "at", "data__rule", "data__triage__rule", "data__owner"
    )
    for case_id, at, rule, nested, owner in later:
        r = rule if rule is not None else nested
        if r is not None and case_id not in out:
            out[case_id] = (int(r), at, owner, None)
    from fengqiao.triage.models import TriageResult

    for case_id, ran_at, rule, owner, cat in TriageResult.objects.filter(ran_at__gte=since).values_list(
        "case_id", "ran_at", "routing__rule", "routing__owner", "case__category_id"
    ):
        if rule is not None and case_id not in out:
            out[case_id] = (int(rule), ran_at, owner, cat)
    if case_ids is not None:
        out = {k: v for k, v in out.items() if k in case_ids}
    return out


def rule_stats(*, rule_ids: list[int] | None = None, now: dt.datetime | None = None) -> dict[int, RuleStat]:
    """Routed / overridden counts, override targets and the current suggestion of each active rule."""
    from fengqiao.cases.models import CaseEvent
    from fengqiao.org.models import Unit
    from fengqiao.triage.models import RoutingRule

    now = now or timezone.now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    rules = RoutingRule.objects.filter(is_active=True).select_related("category", "owner_unit")
    if rule_ids is not None:
        rules = rules.filter(pk__in=rule_ids)
    stats = {r.pk: RuleStat(rule=r) for r in rules}
    regs = {k: v for k, v in _registrations(since).items() if v[0] in stats}
    first: dict[int, tuple[dt.datetime, Any, Any]] = {}
    transfers = (
        CaseEvent.objects.filter(code="case.transfer", case_id__in=list(regs), at__gte=since)
        .order_by("at", "pk")
        .values_list("case_id", "at", "data__from", "data__to")
    )
    for case_id, at, frm, to in transfers:
        first.setdefault(case_id, (at, frm, to))
    for case_id, (rule_id, at, owner, cat) in regs.items():
        st = stats[rule_id]
        st.routed += 1
        t = first.get(case_id)
        if t is None or t[0] - at > dt.timedelta(hours=OVERRIDE_HOURS) or t[2] is None:
            continue
        if owner is not None and t[1] is not None and int(t[1]) != int(owner):
            continue  # moved on after someone else took it: not an override of the rule
        st.overridden += 1
        st.targets[int(t[2])] += 1
        if cat is not None:
            st.categories[int(t[2])][int(cat)] += 1
    wanted = {u for st in stats.values() for u in st.targets}
    units = Unit.objects.in_bulk(list(wanted))
    for st in stats.values():
        st.units = {u: units[u] for u in st.targets if u in units}
        st.suggestion = _suggest(st)
    return stats


def _suggest(st: RuleStat) -> Suggestion | None:
    from fengqiao.cases.models import Category

    top = st.top
    if top is None or top[0] is None or not top[0].is_active:
        return None
    unit, n = top
    if st.overridden < MIN_OVERRIDES or st.rate < MIN_RATE or n < MIN_SHARE * st.overridden:
        return None
    if st.rule.owner_unit_id == unit.pk and not st.rule.owner_local:
        return None
    rule_cat = st.rule.category
    if rule_cat is None or rule_cat.parent_id is None:
        cats = st.categories.get(unit.pk)
        if cats:
            cat_id, k = cats.most_common(1)[0]
            if k >= CATEGORY_SHARE * n and cat_id != st.rule.category_id:
                cat = Category.objects.filter(pk=cat_id).first()
                if cat is not None:
                    return Suggestion("new_rule", unit, n, cat)
    return Suggestion("owner", unit, n)


def apply(rule: Any, sug: Suggestion, row: Any) -> dict[str, Any]:
    """Carry out an accepted suggestion (called by the action layer, inside its transaction)."""
    from fengqiao.triage.models import RoutingRule

    if sug.kind == "new_rule" and sug.category is not None:
        new = RoutingRule.objects.create(
            position=max(0, rule.position - 1),
            name=f"{sug.category.name}→{sug.target.name}"[:80],
            category=sug.category,
            domain=rule.domain,
            location=rule.location,
            channel=rule.channel,
            min_risk=rule.min_risk,
            hour_from=rule.hour_from,
            hour_to=rule.hour_to,
            owner_unit=sug.target,
            owner_local=False,
            level=rule.level,
            deadline_policy=rule.deadline_policy,
            note=f"依据改派统计新增（原规则 {rule.position}「{rule.name}」）"[:200],
        )
        row.created_rule = new
        row.save(update_fields=["created_rule"])
        return {"created_rule": new.pk, "position": new.position, "category": sug.category.pk, "owner": sug.target.pk}
    before = {"owner_unit": rule.owner_unit_id, "owner_local": rule.owner_local}
    rule.owner_unit = sug.target
    rule.owner_local = False
    rule.note = f"责任单位依据改派统计调整为{sug.target.name}"[:200]
    rule.save(update_fields=["owner_unit", "owner_local", "note"])
    return {"before": before, "after": {"owner_unit": sug.target.pk, "owner_local": False}}
