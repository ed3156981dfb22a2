"""Risk assessment: curated lexicon (Aho-Corasick), RiskTerm overrides, emotion, people, history."""

from __future__ import annotations

import time

import pytest

from fengqiao.cases.models import Risk
from fengqiao.triage import risk
from fengqiao.triage.models import RiskTerm

# Ordinary disputes and complaints: none of them may come out high (most are low).
ORDINARY = [
    "楼上邻居每天晚上十一点还在走来走去拖椅子，噪音太吵，希望物业协调一下。",
    "父亲去世后兄弟三人对老宅怎么分有争议，希望村里帮忙调解。",
    "我家和邻居的宅基地界石被挪了半米，双方说不清楚，请国土所来量一下。",
    "去年借给朋友三万元，写了借条，到期了他一直说再等等，请帮忙调解。",
    "小区电梯三天两头坏，物业说维修基金用不了，业主们意见很大。",
    "在超市买的牛奶过期了，商家只肯退钱不肯赔偿，我想投诉。",
    "养猪场的臭味很大，夏天窗户都不能开，请环保部门来看看。",
    "我的医保报销比例算错了，窗口让我找医院，医院又让我找医保局。",
    "村里道路硬化的工程款还差一部分没结，施工队来问了几次。",
    "车子被追尾，保险公司定损金额比修理厂报价少了两千元。",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_complaints_are_not_high(text: str) -> None:
    r = risk.assess(text)
    assert r.level != Risk.HIGH, (text, r)
    assert r.level in Risk.values


def test_most_ordinary_complaints_are_low() -> None:
    levels = [risk.assess(t).level for t in ORDINARY]
    assert levels.count("low") >= len(ORDINARY) - 1, levels


def test_self_harm_is_high_with_reason() -> None:
    r = risk.assess("儿子不给我养老钱，我实在活不下去了，再不解决我就喝农药死在他家门口。")
    assert r.level == Risk.HIGH
    assert any("自伤自杀" in x and "喝农药" in x for x in r.reasons)
    assert {h.category for h in r.hits} >= {"self_harm"}


def test_threat_of_violence_is_high() -> None:
    r = risk.assess("他再来我家地里闹，我就拿刀跟他同归于尽！")
    assert r.level == Risk.HIGH and "violence" in r.categories
    assert any("暴力威胁" in x for x in r.reasons)


def test_wage_arrears_before_new_year_with_many_workers_is_high() -> None:
    text = "包工头拖欠我们工人的工资四个多月了，马上要过年了，再不给钱我们就去县政府门口拉横幅。"
    alone = risk.assess(text)
    crowd = risk.assess(text, people=35)
    assert "wages" in alone.categories and any("节前欠薪" in x for x in alone.reasons)
    assert crowd.level == Risk.HIGH and crowd.score > alone.score
    assert any("35 人" in x for x in crowd.reasons)


def test_plain_wage_arrears_is_noted_but_not_raised() -> None:
    r = risk.assess("公司两个月没发工资了，请劳动监察帮忙。")
    assert r.level == Risk.LOW and r.categories == ["wages"] and r.reasons == ["欠薪讨薪：“没发工资”"]
    holiday = risk.assess("公司两个月没发工资了，眼看就要过年了，请劳动监察帮忙。")
    assert holiday.level == Risk.MEDIUM


def test_petitioning_upward_and_emotion_raise_the_score() -> None:
    calm = risk.assess("征地补偿标准太低，希望镇里重新核算。")
    angry = risk.assess("征地补偿标准太低！！！镇里推来推去踢皮球，实在欺人太甚，再不解决我们就进京上访！")
    assert calm.level == Risk.LOW
    assert angry.level in (Risk.MEDIUM, Risk.HIGH) and angry.score >= calm.score + 40
    assert angry.emotion > 0.3 and any("情绪激烈" in x for x in angry.reasons)
    assert any("越级上访" in x and "进京上访" in x for x in angry.reasons)


def test_vulnerable_and_history_add_with_reasons() -> None:
    base = risk.assess("邻居家的狗又把我家鸡咬死了。")
    more = risk.assess("邻居家的狗又把我家鸡咬死了。", vulnerable=True, history=4)
    assert more.score == base.score + 25
    assert "当事人含弱势群体" in more.reasons and any("4 件" in x for x in more.reasons)


def test_longest_phrase_wins_inside_a_longer_one() -> None:
    hits = risk.find("村民组织集体上访", risk.build_automaton(risk.load_lexicon_file()))
    assert [h.phrase for h in hits] == ["集体上访"]


def test_lexicon_is_curated_not_generic() -> None:
    terms = risk.load_lexicon_file()
    assert len(terms) >= 80
    assert {c for c, _ in terms.values()} <= set(risk.CATEGORY_NAMES)
    for generic in ("投诉", "政府", "举报", "工资", "医院", "物业"):
        assert generic not in terms


@pytest.mark.django_db
def test_risk_terms_extend_and_override_the_lexicon() -> None:
    text = "对方说要把我家的鱼塘投毒，我很害怕。"
    assert risk.assess(text).level == Risk.LOW
    RiskTerm.objects.create(phrase="投毒", category="violence", weight=85)
    r = risk.assess(text)  # saving a term rebuilds the automaton in this process
    assert r.level == Risk.HIGH and r.hits[0].phrase == "投毒"

    assert risk.assess("我不想活了").level == Risk.HIGH
    RiskTerm.objects.create(phrase="不想活了", category="self_harm", weight=90, is_active=False)
    assert risk.assess("我不想活了").level == Risk.LOW  # an inactive row removes the shipped phrase
    RiskTerm.objects.filter(phrase="不想活了").delete()
    assert risk.assess("我不想活了").level == Risk.HIGH


def test_assessment_is_fast() -> None:
    text = "老板拖欠我们三十多个工人的工资，马上就要过年了，再不给钱我们就去县政府门口拉横幅！" * 4
    risk.assess(text)
    n = 300
    started = time.perf_counter()
    for _ in range(n):
        risk.assess(text, people=30, history=2)
    assert (time.perf_counter() - started) / n < 0.001
