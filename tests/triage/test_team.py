"""Team matching: rules per type and risk, scoring with reasons, load and availability."""

from __future__ import annotations

import pytest

from fengqiao.mediation.models import Mediator
from fengqiao.triage import location
from fengqiao.triage.team import propose, risk_categories, search_pool, slots_for
from tests.conftest import Org


@pytest.fixture
def pool(org: Org) -> dict[str, Mediator]:
    location.forget()
    mk = Mediator.objects.create
    return {
        "local": mk(
            name="张村调",
            kind="cadre",
            unit=org.village1,
            specialties=["0401"],
            dialects=["仙居话"],
            capacity=5,
            cases_total=40,
            cases_success=36,
            rating=4.8,
        ),
        "busy": mk(name="李满负", kind="people", unit=org.town1, specialties=["0401"], capacity=3, active_cases=3),
        "away": mk(name="赵休假", kind="people", unit=org.town1, specialties=["0401"], available=False),
        "other_town": mk(
            name="钱外镇",
            kind="people",
            unit=org.town2,
            specialties=["0401"],
            rating=5.0,
            cases_total=100,
            cases_success=99,
        ),
        "police": mk(name="孙民警", kind="police", unit=org.town1, specialties=["0104"]),
        "lawyer_good": mk(
            name="周律师",
            kind="lawyer",
            unit=org.county,
            specialties=["0601"],
            cases_total=50,
            cases_success=45,
            rating=4.9,
        ),
        "psych": mk(name="吴心理", kind="psychologist", unit=org.county, specialties=["01"]),
    }


def test_rules_are_data() -> None:
    kinds = [s.kinds for s in slots_for("0601", [])]
    assert kinds[0] == ["people", "sage", "cadre", "retired"] and ["lawyer"] in kinds
    kinds = [s.kinds for s in slots_for("0201", ["violence"])]
    assert ["police"] in kinds
    assert risk_categories("他扬言要拿刀砍人") == ["violence"]
    assert risk_categories("邻里噪音扰民") == []


def test_lead_is_local_specialist_with_reasons(org: Org, pool: dict[str, Mediator]) -> None:
    p = propose("0401", org.grid1.pk, "承包田被占用")
    lead = p.members[0]
    assert lead["lead"] and lead["mediator"] == pool["local"].pk
    assert "擅长该类型" in lead["reasons"] and "同村（社区）" in lead["reasons"] and "会讲仙居话" in lead["reasons"]
    ids = {m["mediator"] for m in p.members}
    # The next best of the slot is kept for swapping, with its reason.
    assert all("reason" in a for a in lead["alternatives"])
    # Full, unavailable and other-town mediators are not proposed as lead.
    assert pool["busy"].pk not in ids and pool["away"].pk not in ids and pool["other_town"].pk not in ids


def test_contract_debt_gets_a_lawyer_violence_gets_police(org: Org, pool: dict[str, Mediator]) -> None:
    p = propose("0601", org.village1.pk, "借款五万元到期不还")
    kinds = [m["kind"] for m in p.members]
    assert "lawyer" in kinds
    lawyer = next(m for m in p.members if m["kind"] == "lawyer")
    assert lawyer["mediator"] == pool["lawyer_good"].pk and "合同债务" in lawyer["reason"]
    p = propose("0204", org.village1.pk, "邻居吵架，对方扬言要拿刀砍人")
    police = [m for m in p.members if m["kind"] == "police"]
    assert police and "暴力威胁" in police[0]["why"]
    assert len(p.members) <= 3


def test_pool_search(org: Org, pool: dict[str, Mediator]) -> None:
    names = [m.name for m in search_pool("律师")]
    assert sorted(names) == ["周律师", "林律师"]  # by name (the fixture's 林律师 too)
    assert [m.name for m in search_pool("", kind="police")] == ["孙民警"]
    assert pool["away"].name not in [m.name for m in search_pool("")]


def test_a_needed_kind_missing_nearby_is_taken_from_the_whole_county(org: Org, pool: dict[str, Mediator]) -> None:
    # The only police officer works in 白塔镇; a threat of violence in 田市镇 still gets one.
    p = propose("0204", org.village2.pk, "对方扬言要拿刀砍人")
    police = [m for m in p.members if m["kind"] == "police"]
    assert police and police[0]["mediator"] == pool["police"].pk
