"""The pipeline inside register_case: every channel, location filled, routing, review queue, high risk."""

from __future__ import annotations

from typing import Any

from fengqiao.cases.actions import Actor, register_case
from fengqiao.cases.choices import Priority
from fengqiao.notify.models import Notification, OutboundMessage
from fengqiao.org.models import StandardAddress
from fengqiao.triage import location
from fengqiao.triage.models import TextSignature, TriageResult
from tests.conftest import Org, case_payload


def _payload(org: Org, **kw: object) -> dict:
    data = case_payload(org, **kw)
    data.pop("location_unit", None)
    return data


def test_citizen_case_is_located_from_address_text(org: Org) -> None:
    location.forget()
    StandardAddress.objects.create(grid=org.grid1, road="3组", number="12号", full_text="仙居县白塔镇白塔村3组12号")
    case, _ = register_case(
        Actor.citizen(), _payload(org, channel="qr", address_text="仙居县白塔镇白塔村3组12号"), via="portal"
    )
    assert case.location_unit == org.grid1
    assert case.standard_address is not None and case.standard_address.road == "3组"
    assert case.owner_unit == org.sub1  # no rules: the place's town centre
    tr = TriageResult.objects.get(case=case)
    assert tr.located and tr.location["chain"] == ["仙居县", "白塔镇", "白塔村", "白塔村第1网格"]
    assert "兜底" in tr.explanation and TextSignature.objects.filter(case=case).exists()
    assert case.events.get(code="case.triage").data["triage"]["location"][-1] == "白塔村第1网格"


def test_place_named_only_in_description(org: Org) -> None:
    location.forget()
    case, _ = register_case(
        Actor.system("hotline"),
        _payload(org, channel="hotline", description="田市镇田市村的村民反映，邻居家养狗扰民，多次沟通无果。"),
        via="hotline",
    )
    assert case.location_unit == org.grid2 and case.owner_unit == org.sub2  # the village's only grid
    assert TriageResult.objects.get(case=case).location["method"] == "text"


def test_unresolvable_place_goes_to_dispatcher_queue(org: Org) -> None:
    location.forget()
    case, _ = register_case(
        Actor.citizen(), _payload(org, channel="web", address_text="杭州市西湖区文三路100号"), via="portal"
    )
    assert case.location_unit is None
    tr = TriageResult.objects.get(case=case)
    assert tr.needs_review and not tr.located
    assert any("属地未能确定" in r and "西湖区" in r for r in tr.review_reasons)


def test_type_left_open_needs_review_unless_confident(org: Org) -> None:
    location.forget()
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, category=None), via="test")
    tr = TriageResult.objects.get(case=case)
    if case.category is None:
        assert tr.needs_review and any("类型" in r for r in tr.review_reasons)
    else:
        assert tr.confident and tr.type_top[0]["code"] == case.category.code
    # Given type and place: nothing to confirm.
    case2, _ = register_case(
        org.actor("dispatcher"),
        case_payload(
            org,
            description="楼上住户装修噪音大，晚上十点后还在施工。",
            parties=[{"role": "applicant", "name": "周某", "phone": "13700001111"}],
        ),
        via="test",
    )
    tr2 = TriageResult.objects.get(case=case2)
    assert tr2.confident and tr2.located and not tr2.needs_review, tr2.review_reasons
    # The same person with the same matter again: a merge suggestion sends it to the queue.
    case3, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    tr3 = TriageResult.objects.get(case=case3)
    assert tr3.needs_review and any("建议合并" in r for r in tr3.review_reasons)


def test_high_risk_raises_priority_and_notifies_leader(org: Org) -> None:
    org.user("leader1").mobile = "13912345678"
    org.user("leader1").save()
    case, _ = register_case(org.actor("dispatcher"), case_payload(org, risk="high"), via="test")
    assert case.priority == Priority.URGENT
    event = case.events.get(code="case.triage")  # the step that assessed the risk
    assert Notification.objects.filter(user=org.user("leader1"), event=event, kind="high_risk").exists()
    sms = OutboundMessage.objects.get(dedup_key=f"triage-risk:{case.pk}:{org.user('leader1').pk}")
    assert case.display_code in sms.text and sms.recipient == "13912345678"
    # A low-risk case notifies nobody.
    low, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    assert not Notification.objects.filter(case=low, kind="high_risk").exists()


def test_triage_failure_does_not_stop_intake(org: Org, monkeypatch: object) -> None:
    def broken(*a: object, **k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("fengqiao.triage.team.propose", broken)  # type: ignore[attr-defined]
    case, created = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    assert created and case.pk and not TriageResult.objects.filter(case=case).exists()
    assert case.events.get(code="case.register").data == {"owner": "first_contact"}
    assert case.events.get(code="case.triage").data == {"triage": {"failed": True}}


def test_timings_are_recorded(org: Org) -> None:
    case, _ = register_case(org.actor("dispatcher"), _payload(org, address_text="白塔镇白塔村"), via="test")
    tr = TriageResult.objects.get(case=case)
    assert tr.elapsed_ms > 0
    assert set(case.events.get(code="case.triage").data["triage"]) >= {"explanation", "rule", "team", "review", "ms"}


def test_demo_seed_rules_polygons_and_samples(org: Org) -> None:
    from fengqiao.demo.triage import seed_triage
    from fengqiao.triage.models import RoutingRule

    location.forget()
    out = seed_triage()
    assert out["rules"] == RoutingRule.objects.count() >= 7 and out["polygons"] > 0 and out["samples"] == 4
    sample = TriageResult.objects.get(case__external_ref="sample-1")
    assert "规则" in sample.explanation and sample.case.owner_unit == org.sub1  # 白塔镇 → its centre
    wages = TriageResult.objects.get(case__external_ref="sample-3")
    assert any("属地未能确定" in r for r in wages.review_reasons)
    assert seed_triage() == {"polygons": 0, "rules": 0}  # idempotent


def test_warm_up_loads_the_triage_parts_once(db: Any, monkeypatch: Any) -> None:
    from fengqiao.triage import location
    from fengqiao.triage.pipeline import warm_up

    # Start from a process that has loaded nothing (another test may have loaded cpca already).
    monkeypatch.setattr(location, "_cpca", None)
    location.forget()
    assert warm_up() >= 0
    assert location._cpca is not None, "cpca's matcher is built at start, not on a citizen's request"
    assert location._gazetteer is not None, "so is the gazetteer of the unit tree"
