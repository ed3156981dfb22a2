"""The case page and its action forms: what is shown, each main action through the page, refusals
(stale form, bad input, wrong state, no right, out of scope), reveal, related cases, instructions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.cases import policy
from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case, CaseEvent, RevealGrant
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import MediationSession, TeamMember
from fengqiao.supervision.models import Instruction
from tests.conftest import Org
from tests.helpers import case_in_state, new_case, valid_input, world_snapshot
from tests.web.conftest import act, signed_in


def page(case: Case) -> str:
    return reverse("web:case", args=[case.display_code])


def act_url(case: Case, name: str) -> str:
    return reverse("web:case_act", args=[case.display_code, name])


def forms_on(body: str, case: Case) -> set[str]:
    return set(re.findall(rf'action="/staff/cases/{case.code}/act/(\w+)/"', body))


def post_action(client: Client, case: Case, name: str, data: dict[str, Any], version: int | None = None) -> Any:
    return client.post(act_url(case, name), {"version": case.version if version is None else version, **data})


def test_page_shows_the_case(org: Org) -> None:
    case = new_case(org)
    r = signed_in(org.user("handler1")).get(page(case))
    body = r.content.decode()
    assert r.status_code == 200
    assert case.display_code in body and case.title in body
    assert "<svg" in body and 'aria-label="' + case.display_code + '"' in body  # the case's QR code
    assert "138****1234" in body and "13812341234" not in body  # masked
    assert "王*明" in body and "王小明" not in body
    assert "110105********X" in body
    assert "仙居县 › 白塔镇 › 白塔村" in body  # location chain
    assert "受理时限" in body and "办结时限" in body and "剩余" in body  # deadlines with countdowns
    assert "白塔镇综治中心" in body  # owner unit
    assert "登记受理" in body and "公开" in body  # the timeline, from event codes
    assert 'name="version" value="2"' in body  # registered (1), triaged (2)


def test_code_in_other_spellings_redirects(org: Org) -> None:
    case = new_case(org)
    r = signed_in(org.user("handler1")).get(f"/staff/cases/{case.code.lower()}/")
    assert r.status_code == 302 and r["Location"] == page(case)


@pytest.mark.parametrize("who", ["handler1", "sub1_dispatcher", "grid_worker", "leader1", "supervisor"])
def test_only_allowed_action_forms_are_shown(org: Org, who: str) -> None:
    case = new_case(org, location_unit=org.grid1.pk, owner_unit=org.sub1.pk)
    user = org.user(who)
    body = signed_in(user).get(page(case)).content.decode()
    allowed = set(policy.allowed_actions(user, case)) - {"detach_team", "answer_instruction"}  # nothing to act on
    assert forms_on(body, case) == allowed
    if who == "supervisor":
        assert not allowed and "您没有可执行的操作" in body


def test_forms_follow_the_state(org: Org) -> None:
    case = case_in_state(org, "resolved")
    body = signed_in(org.user("handler1")).get(page(case)).content.decode()
    shown = forms_on(body, case)
    assert {"close", "rate", "return_visit", "note"} <= shown
    assert not {"accept", "resolve", "attach_team", "record_session"} & shown


def test_main_actions_through_the_page(org: Org) -> None:
    case = new_case(org)
    handler = signed_in(org.user("handler1"))
    dispatcher = signed_in(org.user("sub1_dispatcher"))

    r = post_action(handler, case, "accept", {"reason": "属本镇职责"})
    assert r.status_code == 302 and r["Location"] == page(case) + "#timeline"
    case.refresh_from_db()
    assert case.state == "accepted"

    body = dispatcher.get(page(case)).content.decode()
    assert f'<option value="{org.user("handler1").pk}"' in body  # handlers of the owner unit are offered
    r = post_action(dispatcher, case, "assign_person", {"handler": org.user("handler1").pk})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress" and case.handler == org.user("handler1")

    body = handler.get(page(case)).content.decode()
    assert "陈调解" in body  # suggested mediator of the town
    r = post_action(handler, case, "attach_team", {"mediators": [org.mediator.pk], "lead": org.mediator.pk})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "mediating"
    assert TeamMember.objects.get(case=case).is_lead

    r = post_action(
        handler,
        case,
        "record_session",
        {
            "held_at": "2026-11-20T10:00",
            "online_url": "https://meet.example.org/room/42",
            "participants": "双方当事人",
            "notes": "线上会商，双方同意再议",
            "outcome": "ongoing",
        },
    )
    assert r.status_code == 302
    session = MediationSession.objects.get(case=case)
    assert session.online_url == "https://meet.example.org/room/42" and session.place == ""
    case.refresh_from_db()

    r = post_action(handler, case, "resolve", {"matter_settled": "true", "result": "达成口头协议"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "resolved"
    assert case.matter_settled is True and case.grievance_settled is False and case.agreement is False

    codes = list(CaseEvent.objects.filter(case=case, via="web").order_by("id").values_list("code", flat=True))
    assert codes == ["case.accept", "case.assign_person", "case.attach_team", "case.record_session", "case.resolve"]
    body = handler.get(page(case)).content.decode()
    assert "已完成「化解办结」" in body
    for label in ("接收受理", "指派承办人", "组建调解团队", "调解记录", "化解"):
        assert label in body
    assert "线上会商" in body and "事了" in body


def test_stale_form_is_refused_clearly(org: Org) -> None:
    case = new_case(org)
    old_version = case.version
    perform("note", case, org.actor("handler1"), {"text": "别人先改了"})
    c = signed_in(org.user("handler1"))
    before = world_snapshot(case)
    r = post_action(c, case, "accept", {}, version=old_version)
    assert r.status_code == 412
    body = r.content.decode()
    assert "已被他人更新" in body and "请刷新后重试" in body
    assert world_snapshot(case) == before


def test_bad_input_shows_chinese_field_errors_and_changes_nothing(org: Org) -> None:
    case = act(
        org, act(org, new_case(org), "accept", "handler1"), "attach_team", "handler1", valid_input("attach_team", org)
    )
    c = signed_in(org.user("handler1"))
    before = world_snapshot(case)
    r = post_action(
        c,
        case,
        "record_session",
        {"held_at": "", "online_url": "http://insecure.example/", "notes": "", "outcome": "ongoing"},
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "输入有误" in body
    assert "线上会商链接须以 https:// 开头" in body
    assert "该字段是必填项" in body  # DRF's Chinese message for the missing notes
    assert 'id="act-record_session" class="act" open' in body  # the form stays open with the values
    assert 'value="http://insecure.example/"' in body
    assert 'aria-invalid="true"' in body
    assert world_snapshot(case) == before


def test_missing_handler_is_a_field_error(org: Org) -> None:
    case = new_case(org)
    c = signed_in(org.user("sub1_dispatcher"))
    before = world_snapshot(case)
    r = post_action(c, case, "assign_person", {"handler": ""})
    assert r.status_code == 400
    body = r.content.decode()
    assert re.search(r'id="act-assign_person-handler-err"><li>该字段是必填项。</li>', body)
    # The message sits inside the open form, where the user is looking.
    assert body.index('id="page-errors"') > body.index('id="act-assign_person"')
    assert world_snapshot(case) == before


def test_wrong_state_and_missing_right(org: Org) -> None:
    case = new_case(org)
    handler, supervisor = signed_in(org.user("handler1")), signed_in(org.user("supervisor"))
    before = world_snapshot(case)
    r = post_action(handler, case, "resolve", valid_input("resolve", org))
    assert r.status_code == 409 and "不能执行「化解办结」" in r.content.decode()
    r = post_action(supervisor, case, "accept", {})
    assert r.status_code == 403 and "没有对该案件执行「受理」的权限" in r.content.decode()
    assert world_snapshot(case) == before


def test_unknown_action_is_404(org: Org) -> None:
    case = new_case(org)
    assert post_action(signed_in(org.user("handler1")), case, "explode", {}).status_code == 404


def test_out_of_scope_case_is_404_everywhere(org: Org) -> None:
    case = new_case(org)
    outsider = signed_in(org.user("handler2"))
    nobody = signed_in(org.user("nobody"))
    before = world_snapshot(case)
    assert outsider.get(page(case)).status_code == 404
    assert post_action(outsider, case, "accept", {}).status_code == 404
    assert outsider.get(reverse("web:receipt", args=[case.display_code])).status_code == 404
    assert (
        outsider.post(reverse("web:case_reveal", args=[case.display_code]), {"reason": "核实身份"}).status_code == 404
    )
    assert nobody.get(page(case)).status_code == 404
    assert world_snapshot(case) == before
    assert signed_in(org.user("handler1")).get("/staff/cases/0000-0000-0000/").status_code == 404  # bad check symbol


def test_reveal_personal_data_with_a_reason(org: Org) -> None:
    case = new_case(org)
    c = signed_in(org.user("handler1"))
    r = c.post(reverse("web:case_reveal", args=[case.display_code]), {"reason": "短"})
    assert r.status_code == 400
    assert not RevealGrant.objects.exists()
    r = c.post(reverse("web:case_reveal", args=[case.display_code]), {"reason": "电话联系当事人"}, follow=True)
    body = r.content.decode()
    assert "13812341234" in body and "王小明" in body and "11010519491231002X" in body
    grant = RevealGrant.objects.get(case=case)
    assert 9 <= (grant.expires_at - grant.created_at).total_seconds() / 60 <= 10
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.detail == {"reason": "电话联系当事人"} and entry.result == "ok"
    # Another user still sees masked values.
    assert "13812341234" not in signed_in(org.user("sub1_dispatcher")).get(page(case)).content.decode()


def test_supervisor_may_reveal_but_not_act(org: Org) -> None:
    case = new_case(org)
    r = signed_in(org.user("supervisor")).post(
        reverse("web:case_reveal", args=[case.display_code]), {"reason": "监督检查"}
    )
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="pii.reveal", result="ok").count() == 1


def test_related_cases_by_phone_and_merge(org: Org) -> None:
    first = new_case(org)
    second = new_case(org, title="同一人又反映")
    other = new_case(org, title="别人的事", parties=[{"role": "applicant", "name": "赵六", "phone": "13700000000"}])
    c = signed_in(org.user("handler1"))
    body = c.get(page(second)).content.decode()
    assert "同一当事人电话的其他案件" in body and first.display_code in body and other.display_code not in body

    r = post_action(c, second, "merge", {"into": first.display_code, "reason": "重复反映"})
    assert r.status_code == 302
    second.refresh_from_db()
    assert second.state == "merged" and second.merged_into == first
    body = c.get(page(first)).content.decode()
    assert "已并入本案" in body and second.display_code in body


def test_merge_into_an_unknown_code_is_a_field_error(org: Org) -> None:
    case = new_case(org)
    r = post_action(signed_in(org.user("handler1")), case, "merge", {"into": "0000-0000-0000"})
    assert r.status_code == 400 and "目标案件不存在或已结束" in r.content.decode()


def test_answer_instruction_on_the_page(org: Org) -> None:
    case = new_case(org)
    perform("instruct", case, org.actor("leader1"), {"text": "请三日内反馈"})
    case.refresh_from_db()
    instruction = Instruction.objects.get(case=case)
    c = signed_in(org.user("handler1"))
    body = c.get(page(case)).content.decode()
    assert "请三日内反馈" in body and "待回复" in body
    assert "answer_instruction" in forms_on(body, case)
    r = post_action(c, case, "answer_instruction", {"instruction": instruction.pk, "answer": ""})
    assert r.status_code == 400
    r = post_action(c, case, "answer_instruction", {"instruction": instruction.pk, "answer": "已约谈双方"})
    assert r.status_code == 302
    instruction.refresh_from_db()
    assert instruction.answer == "已约谈双方" and instruction.answered_by == org.user("handler1")
    body = c.get(page(case)).content.decode()
    assert "answer_instruction" not in forms_on(body, case)


def test_mediator_pool_search(org: Org) -> None:
    case = act(org, new_case(org), "accept", "handler1")
    c = signed_in(org.user("handler1"))
    r = c.get(reverse("web:lookup_mediators"), {"q": "律师"})
    assert [m["id"] for m in r.json()["results"]] == [org.mediator2.pk]
    body = c.get(page(case), {"open": "attach_team", "pool": "林"}).content.decode()
    assert f'value="{org.mediator2.pk}"' in body  # 点兵点将 without the script
    r = post_action(
        c, case, "attach_team", {"mediators": [org.mediator2.pk, org.mediator.pk], "lead": org.mediator2.pk}
    )
    assert r.status_code == 302
    assert TeamMember.objects.get(case=case, mediator=org.mediator2).is_lead


def test_timeline_marks_internal_events(org: Org) -> None:
    case = new_case(org)
    perform("note", case, org.actor("handler1"), {"text": "内部情况说明", "public": False})
    body = signed_in(org.user("handler1")).get(page(case)).content.decode()
    assert "内部情况说明" in body
    assert 'class="tl-item internal"' in body and 'class="tl-item public"' in body


def test_case_page_query_count_is_bounded(org: Org, django_assert_max_num_queries: Any) -> None:
    case = act(
        org, act(org, new_case(org), "accept", "handler1"), "attach_team", "handler1", valid_input("attach_team", org)
    )
    for _ in range(10):
        perform("record_session", case, org.actor("handler1"), valid_input("record_session", org))
    c = signed_in(org.user("handler1"))
    c.get(page(case))
    with django_assert_max_num_queries(80):
        assert c.get(page(case)).status_code == 200


# Every action of the workflow through its form: (state to start from, who acts).
EVERY_ACTION = {
    "accept": ("registered", "handler1"),
    "assign_person": ("registered", "sub1_dispatcher"),
    "assign_unit": ("registered", "sub1_dispatcher"),
    "transfer": ("registered", "handler1"),
    "decline": ("dispatched", "dept_handler"),
    "return": ("received", "dept_handler"),
    "escalate": ("registered", "handler1"),
    "add_assist": ("accepted", "handler1"),
    "joint_meeting": ("accepted", "handler1"),
    "attach_team": ("accepted", "handler1"),
    "detach_team": ("mediating", "handler1"),
    "record_session": ("mediating", "handler1"),
    "first_contact": ("accepted", "handler1"),
    "pause": ("accepted", "handler1"),
    "resume": ("paused", "handler1"),
    "resolve": ("accepted", "handler1"),
    "refer": ("accepted", "handler1"),
    "rate": ("resolved", "handler1"),
    "return_visit": ("resolved", "handler1"),
    "close": ("resolved", "handler1"),
    "reopen": ("closed", "sub1_dispatcher"),
    "withdraw": ("registered", "handler1"),
    "merge": ("registered", "handler1"),
    "archive": ("withdrawn", "sub1_dispatcher"),
    "update": ("registered", "handler1"),
    "note": ("registered", "handler1"),
    "instruct": ("registered", "leader1"),
    "answer_instruction": ("instructed", "handler1"),
    "extend": ("extendable", "handler1"),
    "edit_party": ("accepted", "handler1"),
}


def page_input(name: str, org: Org, case: Case, other: Case) -> dict[str, Any]:
    """What a user fills into the form of ``name`` (checkboxes as "true", the team as a list)."""
    if name == "attach_team":
        return {"mediators": [org.mediator.pk], "lead": org.mediator.pk}
    if name == "answer_instruction":
        return {"instruction": Instruction.objects.get(case=case).pk, "answer": "已落实"}
    data = valid_input(name, org, other.code)
    return {k: ("true" if v is True else v) for k, v in data.items() if v is not False}


def test_every_action_has_a_form_that_works(org: Org) -> None:
    from fengqiao.cases.actions import ACTIONS

    assert set(EVERY_ACTION) == set(ACTIONS)


@pytest.mark.parametrize("name", sorted(EVERY_ACTION))
def test_action_through_its_form(org: Org, name: str) -> None:
    start, who = EVERY_ACTION[name]
    if start == "received":
        case = case_in_state(org, "dispatched")  # transferred to the department …
        case = act(org, case, "accept", "dept_handler")  # … which accepted it and may send it back
    elif start == "instructed":
        case = new_case(org)
        case = act(org, case, "instruct", "leader1", {"text": "请尽快反馈"})
    elif start == "extendable":  # a deadline policy that allows one extension (诉前调解)
        from fengqiao.supervision.models import DeadlinePolicy

        case = case_in_state(org, "accepted")
        policy = DeadlinePolicy.objects.create(name="可延长", complete_days=30, extendable_days=30)
        Case.objects.filter(pk=case.pk).update(deadline_policy=policy)
    else:
        case = case_in_state(org, start)
    other = new_case(org, title="另一件")
    client = signed_in(org.user(who))
    body = client.get(page(case)).content.decode()
    assert name in forms_on(body, case), f"no form for {name}"
    r = post_action(client, case, name, page_input(name, org, case, other))
    assert r.status_code == 302, r.content.decode()[:2000]
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.code == f"case.{name}" and event.via == "web"


def test_sweep_events_read_well_on_the_timeline(org: Org) -> None:
    case = new_case(org)
    CaseEvent.objects.create(
        case=case,
        code="case.colour",
        via="sweep",
        state_before="registered",
        state_after="registered",
        data={"colour": "red"},
    )
    body = signed_in(org.user("handler1")).get(page(case)).content.decode()
    assert "督办变色" in body and "督办巡查（系统）" in body and "红码" in body and "case.colour" not in body
