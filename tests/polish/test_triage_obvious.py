"""Item 10: triage on obvious cases — mass-incident wording and the number of people in the text
weigh in the risk; the portal asks for the number; "通道堆放杂物" is classified with confidence; the
portal's automatic title is cut at a pause (item 11)."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.portal.forms import derive_title
from fengqiao.triage.risk import assess, build_automaton, chinese_number, file_terms, people_in_text

WAGES = "工地欠薪三个月，共12名工人，工头失联，工人们扬言要去县政府门口讨说法"


@pytest.fixture(scope="module")
def automaton() -> Any:
    return build_automaton(file_terms())


def test_the_wage_example_is_high_risk(automaton: Any) -> None:
    r = assess(WAGES, automaton=automaton)
    assert r.level == "high" and r.score >= 70
    assert "gathering" in r.categories and any("共12名工人" in x for x in r.reasons)


@pytest.mark.parametrize(
    "text",
    ["我们准备集体到镇里上访", "工人们约好明天去县政府讨个说法", "村民拉横幅堵厂门", "大家一起去信访局"],
)
def test_mass_incident_wording_weighs(automaton: Any, text: str) -> None:
    assert assess(text, automaton=automaton).score >= 40


@pytest.mark.parametrize(
    "text", ["邻居家空调外机噪音大，晚上睡不着", "两家公司合同纠纷，欠款5000元", "我家一口井被填了"]
)
def test_ordinary_disputes_stay_low(automaton: Any, text: str) -> None:
    assert assess(text, automaton=automaton).level == "low"


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("共12名工人", 12),
        ("小区十几户业主", 11),
        ("三十多个村民", 30),
        ("二十几名工人", 21),
        ("全村人都有意见", 30),
        ("欠了三个月工资", 0),
        ("两家公司", 0),
        ("5000元", 0),
    ],
)
def test_people_read_from_the_text(text: str, n: int) -> None:
    assert people_in_text(text)[0] == n


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("十二", "二十", "一百零", "十几", "几十", "上百", "12")] == [
        12,
        20,
        None,
        11,
        20,
        100,
        12,
    ]


def test_title_cut_at_a_pause_not_mid_phrase() -> None:
    long = "村口那条路上最近有人乱堆建筑材料和生活垃圾，晚上路灯又不亮，老人小孩经过很容易摔倒受伤"
    title = derive_title(long)
    assert title == "村口那条路上最近有人乱堆建筑材料和生活垃圾，晚上路灯又不亮" and len(title) <= 30
    unbroken = "甲" * 50
    assert derive_title(unbroken) == "甲" * 29 + "…"
    assert derive_title("隔壁猪圈气味很大。多次协商无果") == "隔壁猪圈气味很大"


def test_shipped_examples_classify_the_passage_case_confidently(settings: Any) -> None:
    from pathlib import Path

    from fengqiao.triage.ml.classifier import TextClassifier, read_table
    from fengqiao.triage.ml.training import SHIPPED_DATA

    texts, labels = read_table(Path(SHIPPED_DATA["type"]), ["subject", "text"], "label")[:2]
    model = TextClassifier().fit(texts, labels)
    code, p = model.predict_top("通道堆放杂物", 1)[0]
    assert code == "1101" and p >= settings.TRIAGE_CONFIDENCE_THRESHOLD
