"""Near-duplicates (MinHash LSH in indexed band columns), merge suggestions for the same phone, groups."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengqiao.cases.actions import register_case
from fengqiao.cases.models import Case
from fengqiao.triage import duplicates
from fengqiao.triage.models import TextSignature, TriageResult
from tests.conftest import Org, case_payload

TEXT = "上叶村村民反映，与邻居因宅基地界址问题多次发生争执，对方在界址上砌了围墙，请求帮助协调解决。"
REPHRASED = "上叶村村民反映：与邻居因宅基地界址问题多次发生争执，对方在界址上砌起围墙，请求协调解决。"
OTHER = "在工地干活三个月，老板拖欠工资两万元一直不给，多次讨要未果。"


def test_similarity_of_texts() -> None:
    a, b, c = duplicates.minhash(TEXT), duplicates.minhash(REPHRASED), duplicates.minhash(OTHER)
    assert duplicates.similarity(a, b) >= 0.5
    assert duplicates.similarity(a, c) < 0.2
    # Band keys: equal texts share all bands, unrelated texts none.
    assert duplicates.band_keys(a) == duplicates.band_keys(duplicates.minhash(TEXT))
    assert not set(duplicates.band_keys(a)) & set(duplicates.band_keys(c))


def _register(org: Org, text: str, phone: str, title: str = "宅基地界址纠纷") -> Case:
    payload = case_payload(
        org,
        title=title,
        description=text,
        parties=[{"role": "applicant", "name": "王小明", "phone": phone}],
    )
    case, _ = register_case(org.actor("dispatcher"), payload, via="test")
    return case


def test_signature_stored_and_lsh_finds_similar(org: Org) -> None:
    first = _register(org, TEXT, "13800000001")
    assert TextSignature.objects.filter(case=first).exists()
    hits = duplicates.find_similar(duplicates.case_text("宅基地界址纠纷", REPHRASED))
    assert hits and hits[0][0] == first.pk and hits[0][1] >= 0.5
    assert not duplicates.find_similar(OTHER)


def test_same_phone_similar_open_case_suggests_merge(org: Org) -> None:
    first = _register(org, TEXT, "13800000001")
    second = _register(org, REPHRASED, "13800000001")
    tr = TriageResult.objects.get(case=second)
    merge = [d for d in tr.duplicates if d["suggest"] == "merge"]
    assert merge and merge[0]["code"] == first.code and merge[0]["same_phone"]
    assert tr.needs_review and any("建议合并" in r for r in tr.review_reasons)
    # A different matter from the same phone is not a duplicate.
    third = _register(org, OTHER, "13800000001", title="欠薪")
    assert not TriageResult.objects.get(case=third).duplicates


def test_old_cases_are_not_merge_candidates(org: Org) -> None:
    first = _register(org, TEXT, "13800000001")
    old = timezone.now() - dt.timedelta(days=120)
    Case.objects.filter(pk=first.pk).update(created_at=old)
    TextSignature.objects.filter(case=first).update(created_at=old)
    second = _register(org, REPHRASED, "13800000001")
    assert not TriageResult.objects.get(case=second).duplicates


def test_many_people_same_matter_suggests_group(org: Org) -> None:
    base = "白塔村征地青苗补偿款至今没有发放，每亩补偿标准太低，村民要求镇里公开补偿标准并尽快发放"
    for i, phone in enumerate(["13800000011", "13800000012", "13800000013"]):
        case = _register(org, base + "。" * (i + 1), phone, title="青苗补偿款未发放")
    tr = TriageResult.objects.get(case=case)
    assert tr.group and tr.group["people"] >= 3
    assert "群体性" in tr.group["reason"]
    assert tr.needs_review
