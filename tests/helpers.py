"""Helpers shared by the action, state-machine and API tests: valid inputs per action, driving a
case into a given state, and snapshots to prove that a refused action changed nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from fengqiao.cases import inputs
from fengqiao.cases.actions import perform, register_case
from fengqiao.cases.models import Case, CaseEvent, CaseUnit, Party
from fengqiao.cases.workflow import State
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import JointMeeting, MediationSession, Mediator, TeamMember
from fengqiao.notify.models import Notification
from tests.conftest import Org, case_payload


def held_at() -> str:
    return (timezone.now() - dt.timedelta(hours=1)).isoformat()


def valid_input(name: str, org: Org, other_code: str = "") -> dict[str, Any]:
    """Input that passes the action's input validation (whether the action applies is another matter)."""
    return {
        "accept": {},
        "assign_person": {"handler": org.user("handler1").pk},
        "assign_unit": {"unit": org.grid1.pk, "reason": "属地网格先行处置"},
        "transfer": {"unit": org.dept.pk, "reason": "劳动报酬事项归人社"},
        "decline": {"reason": "不属于本单位职责"},
        "return": {"reason": "交办有误"},
        "escalate": {"reason": "矛盾升级，需上级统筹"},
        "add_assist": {"units": [org.dept.pk, org.dept2.pk], "reason": "多部门协同"},
        "joint_meeting": {
            "held_at": held_at(),
            "attendees": "人社局、住建局",
            "minutes": "会商纪要",
            "decisions": "分工协作",
        },
        "attach_team": {"members": [{"mediator": org.mediator.pk, "is_lead": True}]},
        "detach_team": {"mediator": org.mediator.pk, "reason": "回避"},
        "record_session": {"held_at": held_at(), "place": "白塔镇调解室", "notes": "双方陈述意见"},
        "first_contact": {"method": "phone", "note": "已电话联系"},
        "pause": {"reason": "appraisal", "note": "等待房屋鉴定"},
        "resume": {"reason": "鉴定完成"},
        "resolve": {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "达成调解协议"},
        "refer": {"referral": "litigation", "reason": "引导诉讼"},
        "rate": {"satisfaction": "satisfied", "comment": "满意"},
        "return_visit": {"method": "phone", "matter_settled": True, "grievance_settled": True},
        "close": {"reason": "办结"},
        "reopen": {"reason": "当事人反映协议未履行"},
        "withdraw": {"reason": "当事人撤回"},
        "merge": {"into": other_code or "0000-0000-0000", "reason": "重复反映"},
        "archive": {},
        "update": {"title": "邻居建房挡住采光（更新）"},
        "note": {"text": "已联系村委了解情况"},
        "instruct": {"text": "请尽快化解，注意稳控"},
        "answer_instruction": {"instruction": 1, "answer": "已落实"},
        "extend": {"days": 5, "consent": "双方当事人同意延长"},
        "edit_party": {"role": "applicant", "name": "王小红", "phone": "13700002222", "reason": "共同申请人"},
    }[name]


def new_case(org: Org, who: str = "dispatcher", **overrides: Any) -> Case:
    case, created = register_case(org.actor(who), case_payload(org, **overrides), via="test")
    assert created
    return case


# How to bring a case owned by the 白塔镇综治中心 (sub1) into each state, and who does it.
PATHS: dict[str, list[tuple[str, str]]] = {
    State.REGISTERED: [],
    State.DISPATCHED: [("transfer", "handler1")],
    State.ACCEPTED: [("accept", "handler1")],
    State.IN_PROGRESS: [("accept", "handler1"), ("assign_person", "sub1_dispatcher")],
    State.MEDIATING: [("accept", "handler1"), ("attach_team", "handler1")],
    State.PAUSED: [("accept", "handler1"), ("assign_person", "sub1_dispatcher"), ("pause", "handler1")],
    State.RESOLVED: [("accept", "handler1"), ("assign_person", "sub1_dispatcher"), ("resolve", "handler1")],
    State.UNRESOLVED: [("accept", "handler1"), ("assign_person", "sub1_dispatcher"), ("refer", "handler1")],
    State.CLOSED: [("accept", "handler1"), ("resolve", "handler1"), ("close", "handler1")],
    State.WITHDRAWN: [("withdraw", "handler1")],
    State.MERGED: [("merge", "handler1")],
    State.ARCHIVED: [("withdraw", "handler1"), ("archive", "sub1_dispatcher")],
}


def case_in_state(org: Org, state: str) -> Case:
    case = new_case(org)
    other = new_case(org, title="同一事项的重复反映") if state == State.MERGED else None
    for name, who in PATHS[state]:
        perform(name, case, org.actor(who), valid_input(name, org, other.code if other else ""))
    case.refresh_from_db()
    assert case.state == state
    return case


def world_snapshot(case: Case) -> dict[str, Any]:
    """Everything an action could touch: the case row, its satellites and the logs."""
    fresh = Case.objects.get(pk=case.pk)
    row = inputs.case_field_snapshot(fresh)
    row["updated_at"] = fresh.updated_at.isoformat()
    row["owner_path"] = fresh.owner_path
    row["pending_path"] = fresh.pending_path
    return {
        "case": row,
        "events": CaseEvent.objects.count(),
        "audit": AuditEntry.objects.count(),
        "cases": Case.objects.count(),
        "parties": Party.objects.count(),
        "assisting": sorted(CaseUnit.objects.filter(case=fresh).values_list("unit_id", flat=True)),
        "team": sorted(TeamMember.objects.filter(case=fresh).values_list("mediator_id", "is_lead")),
        "sessions": MediationSession.objects.count(),
        "meetings": JointMeeting.objects.count(),
        "mediators": sorted(Mediator.objects.values_list("pk", "active_cases")),
        "notifications": Notification.objects.count(),
    }
