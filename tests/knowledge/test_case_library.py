"""案例库 from mediated cases (#17 item 5): a resolved case proposed by those who may write on it, the
draft entry free of every party's name, phone, ID number and address, reviewed and approved in the
knowledge base, then found by staff by words, type and domain and linked as a similar case."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from fengqiao.cases.actions import ActionForbidden, Actor, InvalidTransition, perform
from fengqiao.cases.models import Case, CaseEvent, Domain
from fengqiao.cases.workflow import State
from fengqiao.knowledge import actions as knowledge_actions
from fengqiao.knowledge import case_library as library
from fengqiao.knowledge import search as knowledge_search
from fengqiao.knowledge.models import ExemplaryCase
from tests.conftest import Org
from tests.helpers import case_in_state, held_at, new_case, valid_input
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db

DESCRIPTION = (
    "申请人王小明（电话13812341234，身份证11010519491231002X）住白塔镇东村5号，"
    "被申请人李大年于2026年3月新建三层楼房，挡住王小明家采光。小明多次找大年协商未果，要求赔偿5000元。"
)


def mediated_case(org: Org, **over: Any) -> Case:
    case = new_case(org, description=DESCRIPTION, address_text="白塔镇东村5号", **over)
    applicant = case.parties.get(role="applicant")
    h = org.actor("handler1")
    perform("edit_party", case, h, {"party": applicant.pk, "address": "白塔镇东村5号", "reason": "补充住址"})
    perform("accept", case, h, {})
    perform("attach_team", case, h, {"members": [{"mediator": org.mediator.pk, "is_lead": True}]})
    notes = "调解员向李大年说明相邻权规定，王小明同意降低要求，李大年（13900001111）同意补偿3000元。"
    perform(
        "record_session", case, org.actor("mediator_user"), {"held_at": held_at(), "place": "调解室", "notes": notes}
    )
    perform("resolve", case, h, {**valid_input("resolve", org), "result": "李大年向王小明支付补偿款3000元，双方和好。"})
    case.refresh_from_db()
    return case


def test_anonymised_draft_keeps_no_personal_data(org: Org) -> None:
    case = mediated_case(org)
    entry = library.propose(org.user("mediator_user"), case, "邻里纠纷的好样本")
    text = json.dumps([entry.title, entry.facts, entry.resolution, entry.takeaway, entry.keywords], ensure_ascii=False)
    for secret in (
        "王小明",
        "李大年",
        "小明",
        "大年",
        "13812341234",
        "13900001111",
        "11010519491231002X",
        "东村5号",
        "5000",
        "3000",
    ):
        assert secret not in text, secret
    assert "申请人甲" in entry.facts and "被申请人甲" in entry.facts
    assert "若干元" in entry.facts and "某地" in entry.facts
    assert "相邻权" in entry.resolution and "双方和好" in entry.resolution
    assert entry.state == "draft" and entry.source_case == case and entry.category and entry.category.code == "0201"
    ev = CaseEvent.objects.get(case=case, code="mediation.library_propose")
    assert ev.actor == org.user("mediator_user") and ev.data == {"exemplary": entry.pk}
    with pytest.raises(InvalidTransition):  # once per case
        library.propose(org.user("handler1"), case)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("mediator_user", True), ("handler1", True), ("leader1", True), ("handler2", False), ("nobody", False)],
)
def test_who_may_propose(org: Org, who: str, allowed: bool) -> None:
    case = mediated_case(org)
    assert library.may_propose(org.user(who), case) is allowed
    if allowed:
        library.propose(org.user(who), case)
    else:
        with pytest.raises(ActionForbidden):
            library.propose(org.user(who), case)
        assert not ExemplaryCase.objects.filter(source_case=case).exists()


def test_only_a_successful_mediation(org: Org) -> None:
    for state in (State.MEDIATING, State.UNRESOLVED):
        case = case_in_state(org, state)
        assert not library.may_propose(org.user("handler1"), case)
        with pytest.raises(InvalidTransition):
            library.propose(org.user("handler1"), case)


def approve(org: Org, entry: ExemplaryCase) -> None:
    knowledge_actions.approve_exemplary(Actor.system("test"), entry)
    knowledge_search.forget()


def test_search_by_words_type_and_domain_and_similar_on_the_panel(org: Org) -> None:
    Domain.objects.create(code="rural", name="农村")
    case = mediated_case(org, domain="rural")
    entry = library.propose(org.user("handler1"), case)
    assert library.search_library("采光") == [], "a draft is not in the library"
    approve(org, entry)
    assert library.search_library("采光 补偿") == [entry]
    assert library.search_library("", category="02") == [entry], "a level-1 type covers its level-2 types"
    assert library.search_library("", category="0201", domain="rural") == [entry]
    assert library.search_library("", category="0301") == []
    assert library.search_library("", domain="nope") == []
    assert library.search_library("欠薪") == []

    other = case_in_state(org, State.MEDIATING)  # a new case about light: the library entry is similar
    assert [s["pk"] for s in library.similar(other)] == [entry.pk]
    assert library.similar(case) == [], "a case is not similar to its own entry"

    client = signed_in(org.user("handler1"))
    page = client.get(reverse("web:case", args=[other.display_code])).content.decode()
    assert reverse("mediation:library_detail", args=[entry.pk]) in page and "相似案例" in page
    body = client.get(reverse("mediation:library") + "?q=采光&category=0201").content.decode()
    assert entry.title in body and "找到 1 个案例" in body
    detail = client.get(reverse("mediation:library_detail", args=[entry.pk])).content.decode()
    assert "申请人甲" in detail and "王小明" not in detail


def test_pages_permission_and_propose_form(org: Org) -> None:
    case = mediated_case(org)
    client = signed_in(org.user("handler1"))
    page = client.get(reverse("web:case", args=[case.display_code])).content.decode()
    assert "推荐入案例库" in page
    r = client.post(reverse("mediation:library_propose", args=[case.display_code]), {"reason": "典型"})
    assert r.status_code == 302
    entry = ExemplaryCase.objects.get(source_case=case)
    # A draft is not readable in the staff library; an outsider cannot propose or read the library.
    assert client.get(reverse("mediation:library_detail", args=[entry.pk])).status_code == 404
    assert signed_in(org.user("nobody")).get(reverse("mediation:library")).status_code == 403
    r = signed_in(org.user("handler2")).post(reverse("mediation:library_propose", args=[case.display_code]))
    assert r.status_code == 404


def test_demo_step_proposes_and_approves_mediated_cases_once(org: Org) -> None:
    from fengqiao.knowledge.demo import seed_library

    case = mediated_case(org)
    assert case.agreement
    assert seed_library() == {"library": 1}
    entry = ExemplaryCase.objects.get(source_case=case)
    assert entry.state == "approved" and "王小明" not in entry.facts
    assert CaseEvent.objects.filter(case=case, code="mediation.library_propose").count() == 1
    assert seed_library() == {"library": 0}, "once: a second run proposes nothing"
    knowledge_search.forget()
