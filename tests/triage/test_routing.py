"""Routing rules: ordered, first match wins, conditions, fallback, explanations, re-run on change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.cases.actions import perform, register_case
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Category, Domain
from fengqiao.supervision.models import DeadlinePolicy
from fengqiao.triage import routing
from fengqiao.triage.models import RoutingRule, TriageResult
from fengqiao.triage.routing import RouteInput, route
from tests.conftest import Org, case_payload


@pytest.fixture
def rules(org: Org) -> dict[str, RoutingRule]:
    routing.forget()
    land = Category.objects.get(code="0401")
    wages = Category.objects.get(code="07")
    policy = DeadlinePolicy.objects.create(name="欠薪急办", complete_days=5, accept_hours=4)
    out = {
        "wages": RoutingRule.objects.create(
            position=5, name="欠薪交人社", category=wages, owner_unit=org.dept, deadline_policy=policy
        ),
        "land": RoutingRule.objects.create(
            position=12, name="白塔土地承包", category=land, location=org.town1, owner_unit=org.sub1
        ),
        "night": RoutingRule.objects.create(
            position=20,
            name="夜间高风险",
            min_risk="high",
            hour_from=18,
            hour_to=8,
            owner_unit=org.centre,
            level=Level.ORANGE,
        ),
        "local": RoutingRule.objects.create(position=30, name="属地优先", owner_local=True, channel="grid"),
        "fallback": RoutingRule.objects.create(position=999, name="兜底", is_fallback=True, owner_unit=org.centre),
    }
    return out


def test_first_match_and_explanation(org: Org, rules: dict[str, RoutingRule]) -> None:
    land = Category.objects.get(code="0401")
    r = route(RouteInput(category=land, location=org.village1, channel="web"))
    assert r.owner == org.sub1 and r.rule_id == rules["land"].pk
    assert r.explanation == "类型=土地承包经营 且 属地=白塔镇 → 白塔镇综治中心 (规则 12「白塔土地承包」)"
    # The same type elsewhere does not match rule 12: fallback.
    r = route(RouteInput(category=land, location=org.village2, channel="web"))
    assert r.owner == org.centre and r.fallback and "兜底" in r.explanation
    # A level-2 type matches a level-1 rule; the earlier rule wins over later ones.
    r = route(RouteInput(category=Category.objects.get(code="0701"), location=org.village1, channel="grid"))
    assert r.owner == org.dept and r.rule_position == 5 and r.deadline_policy is not None
    assert r.explanation.startswith("类型=劳动争议 → ")


def test_risk_time_channel_and_local(org: Org, rules: dict[str, RoutingRule]) -> None:
    night = timezone.make_aware(dt.datetime(2026, 11, 23, 22, 30))
    day = timezone.make_aware(dt.datetime(2026, 11, 23, 10, 0))
    r = route(RouteInput(location=org.village2, channel="web", risk="high", when=night))
    assert r.owner == org.centre and r.level == Level.ORANGE and "风险≥高 且 时段=18–8时" in r.explanation
    r = route(RouteInput(location=org.village2, channel="web", risk="high", when=day))
    assert r.rule_id == rules["fallback"].pk
    # "交属地": the town centre of the place.
    r = route(RouteInput(location=org.grid2, channel="grid", when=day))
    assert r.owner == org.sub2 and "渠道=网格员上报" in r.explanation
    # ... and when the place is unknown the rule cannot apply.
    r = route(RouteInput(location=None, channel="grid", when=day))
    assert r.rule_id == rules["fallback"].pk and r.skipped


def test_no_rules_defers_to_intake_default(org: Org) -> None:
    routing.forget()
    r = route(RouteInput(location=org.village1))
    assert r.owner is None and r.fallback and "兜底" in r.explanation


def test_inactive_rule_and_cache_cleared_on_change(org: Org, rules: dict[str, RoutingRule]) -> None:
    land = Category.objects.get(code="0401")
    assert route(RouteInput(category=land, location=org.village1)).owner == org.sub1
    rules["land"].is_active = False
    rules["land"].save()
    assert route(RouteInput(category=land, location=org.village1)).owner == org.centre


def test_register_case_is_routed_with_level_and_policy(org: Org, rules: dict[str, RoutingRule]) -> None:
    payload = case_payload(
        org, category="0701", title="工地老板拖欠工资", description="在工地干了三个月，工资两万元一直拖欠。"
    )
    case, _ = register_case(org.actor("dispatcher"), payload, via="test")
    assert case.owner_unit == org.dept
    assert case.deadline_policy == rules["wages"].deadline_policy
    assert (case.due_at - case.created_at) < dt.timedelta(days=6)
    tr = TriageResult.objects.get(case=case)
    assert "欠薪交人社" in tr.explanation and tr.routing["rule"] == rules["wages"].pk
    ev = case.events.get(code="case.triage")  # triage is its own step after the registration (分流完成)
    assert ev.data["triage"]["explanation"] == tr.explanation
    assert ev.data["triage"]["rule"] == rules["wages"].pk


def test_update_reroutes(org: Org, rules: dict[str, RoutingRule]) -> None:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, category="0201"), via="test")
    assert case.owner_unit == org.centre  # fallback rule
    ev = perform("update", case, org.actor("dispatcher"), {"category": "0401", "reason": "更正类型"})
    assert ev.data["triage"]["routing"]["rule"] == rules["land"].pk
    assert ev.data["triage"]["suggest_owner"]["unit"] == org.sub1.pk
    tr = TriageResult.objects.get(case=case)
    assert "规则 12" in tr.explanation


def test_unused_domain_condition(org: Org, rules: dict[str, RoutingRule]) -> None:
    dom = Domain.objects.get(code="D02")
    RoutingRule.objects.create(position=1, name="环保交住建", domain=dom, owner_unit=org.dept2)
    assert route(RouteInput(domain=dom, location=org.village1)).owner == org.dept2
    assert route(RouteInput(domain=None, location=org.village1)).owner == org.centre


def test_setting_the_place_reroutes_and_clears_the_queue_reason(org: Org, rules: dict[str, RoutingRule]) -> None:
    payload = case_payload(org, category="0401", address_text="杭州市西湖区文三路100号")
    payload.pop("location_unit")
    case, _ = register_case(org.actor("dispatcher"), payload, via="test")
    tr = TriageResult.objects.get(case=case)
    assert not tr.located and any("属地" in r for r in tr.review_reasons)
    ev = perform("update", case, org.actor("dispatcher"), {"location_unit": org.village1.pk, "reason": "核实属地"})
    assert ev.data["triage"]["routing"]["rule"] == rules["land"].pk
    tr.refresh_from_db()
    assert tr.located and not any("属地" in r for r in tr.review_reasons)
    assert "白塔镇综治中心" in tr.explanation
