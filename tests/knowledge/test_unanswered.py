"""Questions without an answer are logged as anonymised words only: no phone, ID, bank card, plate,
e-mail, house number or name-like pattern ever reaches the database."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fengqiao.knowledge import assistant, redact
from fengqiao.knowledge.models import UnansweredQuestion

PERSONAL = [
    ("13812345678", re.compile(r"\d{4}")),
    ("138-1234-5678", re.compile(r"\d{4}")),
    ("0576-87654321", re.compile(r"\d{4}")),
    ("33102419800101123X", re.compile(r"\d{4}")),
    ("6222020200112233445", re.compile(r"\d{4}")),
    ("浙J12345", re.compile(r"J12345")),
    ("zhangsan@example.com", re.compile(r"zhangsan|example")),
]


@pytest.mark.parametrize(("value", "leak"), PERSONAL)
def test_scrub_removes_numbers_and_addresses(value: str, leak: re.Pattern[str]) -> None:
    assert not leak.search(redact.scrub(f"我的信息是{value}，请联系"))


def test_names_and_house_numbers_do_not_survive() -> None:
    words = redact.anonymous_words("我叫王小明，住在白塔镇白塔村3组12号，隔壁李大爷家的外星飞船天天轰鸣，张某某也不管")
    text = " ".join(words)
    for fragment in ("王小明", "小明", "李大爷", "张某某", "12号", "3组", "白塔"):
        assert fragment not in text
    assert "飞船" in text or "外星" in text  # the subject of the question is kept


@pytest.mark.django_db
def test_unanswered_question_is_logged_without_personal_data(corpus: Any) -> None:
    q = "我叫陈大伟，电话13812345678，身份证33102419800101123X，家住3组12号，我家的外星飞船停在月球上被罚款了"
    ans = assistant.answer(q)
    assert not ans.answered
    rows = list(UnansweredQuestion.objects.all())
    assert len(rows) == 1
    stored = rows[0].words
    for fragment in ("陈大伟", "大伟", "1381", "5678", "3310", "123X", "12号", "3组"):
        assert fragment not in stored
    assert not re.search(r"\d", stored)
    assert "飞船" in stored
    # The same question from someone else (other personal data) counts on the same row.
    assistant.answer(
        "我叫刘小红，电话13900001111，身份证11010519491231002X，家住5组8号，我家的外星飞船停在月球上被罚款了"
    )
    assert UnansweredQuestion.objects.count() == 1 and UnansweredQuestion.objects.get().count == 2


@pytest.mark.django_db
def test_answered_question_is_not_logged(corpus: Any) -> None:
    ans = assistant.answer("老板拖欠我三个月工资不给")
    assert ans.answered
    assert ans.articles[0].doc.slug == "wage-arrears"
    assert "拖欠" in ans.explain(ans.articles[0])
    assert UnansweredQuestion.objects.count() == 0


@pytest.mark.django_db
def test_answer_carries_type_next_step_and_cases(corpus: Any) -> None:
    ans = assistant.answer("工地包工头跑了，工钱找谁要")
    assert ans.category is not None and ans.category.code == "0701", [
        (h.doc.slug, h.score, h.doc.categories) for h in ans.articles
    ]
    assert ans.advice[0].step == "department" and "劳动保障监察" in ans.advice[0].reason
    assert any("农民工" in h.doc.title for h in ans.cases)
    ans = assistant.answer("老公喝了酒拿刀砍我")
    assert ans.advice[0].step == "emergency"
    ans = assistant.answer("家里困难请不起律师，儿子不给赡养费")
    assert "legal_aid" in [a.step for a in ans.advice]
