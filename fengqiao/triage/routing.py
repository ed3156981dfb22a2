"""Routing rules: the first active rule (by position) whose conditions all hold decides the owner unit,
the response level and the deadline policy; when none holds, the fallback rule (兜底) applies, and
without one the town centre of the place (or the county centre). Every decision carries a sentence
a person can check: "类型=土地承包经营 且 属地=白塔镇 → 白塔镇综治中心 (规则 12)".

Rules are cached per process and reloaded on change (signal) or after ``TTL`` seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from fengqiao.org.choices import UnitKind

TTL = 30.0
RISK_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass
class RouteInput:
    category: Any = None  # cases.Category or None
    domain: Any = None  # cases.Domain or None
    location: Any = None  # org.Unit or None
    channel: str = ""
    risk: str = "low"
    when: dt.datetime | None = None


@dataclass
class Route:
    owner: Any  # org.Unit
    level: int | None
    deadline_policy: Any  # supervision.DeadlinePolicy or None
    rule_id: int | None
    rule_position: int | None
    explanation: str
    fallback: bool = False
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner.pk if self.owner else None,
            "owner_name": self.owner.name if self.owner else "",
            "level": self.level,
            "deadline_policy": self.deadline_policy.pk if self.deadline_policy else None,
            "rule": self.rule_id,
            "rule_position": self.rule_position,
            "fallback": self.fallback,
            "explanation": self.explanation,
        }


_lock = threading.Lock()
_cache: tuple[float, list[Any]] | None = None


def rules() -> list[Any]:
    from fengqiao.triage.models import RoutingRule

    global _cache
    now = time.monotonic()
    c = _cache
    if c is None or now - c[0] > TTL:
        with _lock:
            loaded = list(
                RoutingRule.objects.filter(is_active=True)
                .select_related("category", "domain", "location", "owner_unit", "deadline_policy")
                .order_by("position", "pk")
            )
            _cache = c = (now, loaded)
    return c[1]


def forget(**_: Any) -> None:
    global _cache
    _cache = None


post_save.connect(forget, sender="triage.RoutingRule", dispatch_uid="triage-rules")
post_delete.connect(forget, sender="triage.RoutingRule", dispatch_uid="triage-rules-del")


def _in_hours(rule: Any, when: dt.datetime) -> bool:
    if rule.hour_from is None or rule.hour_to is None:
        return True
    h = timezone.localtime(when).hour
    if rule.hour_from <= rule.hour_to:
        return rule.hour_from <= h < rule.hour_to
    return h >= rule.hour_from or h < rule.hour_to  # overnight, e.g. 18–8


def conditions(rule: Any) -> list[str]:
    """The rule's conditions in words."""
    from fengqiao.cases.choices import Channel

    out = []
    if rule.category_id:
        out.append(f"类型={rule.category.name}")
    if rule.domain_id:
        out.append(f"领域={rule.domain.name}")
    if rule.location_id:
        out.append(f"属地={rule.location.name}")
    if rule.channel:
        try:
            out.append(f"渠道={Channel(rule.channel).label}")
        except ValueError:
            out.append(f"渠道={rule.channel}")
    if rule.min_risk:
        out.append(f"风险≥{ {'medium': '中', 'high': '高'}.get(rule.min_risk, rule.min_risk) }")
    if rule.hour_from is not None and rule.hour_to is not None:
        out.append(f"时段={rule.hour_from}–{rule.hour_to}时")
    return out


def matches(rule: Any, inp: RouteInput) -> bool:
    if rule.category_id:
        cat = inp.category
        if cat is None or rule.category_id not in (cat.pk, cat.parent_id):
            return False
    if rule.domain_id and (inp.domain is None or inp.domain.pk != rule.domain_id):
        return False
    if rule.location_id and (inp.location is None or not inp.location.path.startswith(rule.location.path)):
        return False
    if rule.channel and rule.channel != inp.channel:
        return False
    if rule.min_risk and RISK_ORDER.get(inp.risk, 0) < RISK_ORDER.get(rule.min_risk, 0):
        return False
    return _in_hours(rule, inp.when or timezone.now())


def local_centre(location: Any) -> Any:
    """The 综治中心 of the location's town, else the town itself (one query)."""
    from fengqiao.org.models import Unit

    if location is None:
        return None
    chain = [int(x) for x in location.path.strip("/").split("/") if x]
    found = list(Unit.objects.filter(pk__in=chain, kind=UnitKind.TOWN).values_list("pk", flat=True))
    if not found:
        return None
    town_id = found[0]
    return (
        Unit.objects.filter(parent_id=town_id, kind=UnitKind.SUBCENTRE, is_active=True).first()
        or Unit.objects.filter(pk=town_id).first()
    )


def _target(rule: Any, inp: RouteInput) -> Any:
    if rule.owner_local:
        centre = local_centre(inp.location)
        if centre is not None:
            return centre
    return rule.owner_unit


def _level(rule: Any, owner: Any) -> int | None:
    from fengqiao.cases.actions import level_for
    from fengqiao.cases.choices import Level

    if rule is not None and rule.level is not None:
        return int(rule.level)
    return level_for(owner, Level.BLUE) if owner is not None else None


def route(inp: RouteInput) -> Route:
    """Decide owner, level and deadline policy for a case described by ``inp``."""
    fallback_rule = None
    skipped: list[str] = []
    for rule in rules():
        if rule.is_fallback:
            fallback_rule = fallback_rule or rule
            continue
        if not matches(rule, inp):
            continue
        owner = _target(rule, inp)
        if owner is None:
            skipped.append(f"规则 {rule.position} 命中但属地不明，无法交属地综治中心")
            continue
        cond = " 且 ".join(conditions(rule)) or "无条件"
        return Route(
            owner=owner,
            level=_level(rule, owner),
            deadline_policy=rule.deadline_policy,
            rule_id=rule.pk,
            rule_position=rule.position,
            explanation=f"{cond} → {owner.name} (规则 {rule.position}「{rule.name}」)",
            skipped=skipped,
        )
    if fallback_rule is not None:
        owner = _target(fallback_rule, inp)
        if owner is not None:
            return Route(
                owner=owner,
                level=_level(fallback_rule, owner),
                deadline_policy=fallback_rule.deadline_policy,
                rule_id=fallback_rule.pk,
                rule_position=fallback_rule.position,
                explanation=f"未命中其他规则 → 兜底：{owner.name} (规则 {fallback_rule.position}「{fallback_rule.name}」)",
                fallback=True,
                skipped=skipped,
            )
    # No rule: the intake's default applies (the place's town centre, else the registrar's own unit,
    # else the county centre) — see ``cases.actions.default_owner``.
    return Route(
        owner=None,
        level=None,
        deadline_policy=None,
        rule_id=None,
        rule_position=None,
        explanation="未命中任何分流规则 → 兜底：属地乡镇综治中心（属地不明时为登记人所在单位或县综治中心）",
        fallback=True,
        skipped=skipped,
    )


def apply_deadline_policy(case: Any, policy: Any, start: dt.datetime) -> None:
    """Deadlines from a policy chosen by routing (supervision's ``apply_policy`` otherwise picks its
    own by type/channel/level; a routing rule may name one explicitly)."""
    from fengqiao.supervision.deadlines import apply_policy

    apply_policy(case, start, policy)
