"""Constructed histories for the warning models: cases registered through the real action layer at
chosen moments (time_machine), with chosen parties, types, places and texts."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import time_machine
from django.utils import timezone

from fengqiao.cases.actions import perform, register_case
from fengqiao.cases.models import Case
from fengqiao.early_warning.engine import RunResult, run
from tests.conftest import Org

_phones = itertools.count(13700000000)
TEXTS = [
    "邻居建房挡住采光，多次协商未果",
    "小区物业收费不合理，要求公开账目",
    "承包土地边界不清，与邻村发生争执",
    "饭店油烟扰民，晚上噪音大影响休息",
    "二手车买卖合同纠纷，卖方隐瞒事故",
    "婚后彩礼返还问题双方意见分歧",
    "宠物狗咬伤行人，医药费赔偿未谈妥",
    "装修工程款结算争议，施工方停工",
    "道路施工堵塞出入口，商户经营受影响",
    "租房押金不退，房东拒绝沟通",
    "山林承包期满后的收益分配问题",
    "学校门口摊贩占道，交通秩序混乱",
]
_texts = itertools.count()


def fresh_phone() -> str:
    return str(next(_phones))


def other_text() -> str:
    i = next(_texts)
    return f"{TEXTS[i % len(TEXTS)]}（第{i}号情况，地点编号{i * 7919 % 10007}）"


def at(days_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


def make_case(
    org: Org,
    days_ago: float,
    *,
    phone: str | None = None,
    id_number: str = "",
    respondent_phone: str = "",
    text: str | None = None,
    category: str = "0201",
    village: Any = None,
    channel: str = "walk_in",
    extra_applicants: list[str] | None = None,
    who: str = "dispatcher",
) -> Case:
    body = text or other_text()
    applicant: dict[str, Any] = {"role": "applicant", "name": "王小明", "phone": phone or fresh_phone()}
    if id_number:
        applicant["id_number"] = id_number
    parties = [applicant]
    for p in extra_applicants or []:
        parties.append({"role": "applicant", "name": "李某", "phone": p})
    if respondent_phone:
        parties.append({"role": "respondent", "name": "赵某", "phone": respondent_phone})
    payload = {
        "title": body[:30],
        "description": body,
        "channel": channel,
        "category": category,
        "location_unit": (village or org.village1).pk,
        "parties": parties,
    }
    with time_machine.travel(at(days_ago), tick=False):
        case, _ = register_case(org.actor(who), payload, via="test")
    return case


def close_case(org: Org, case: Case, days_ago: float) -> None:
    with time_machine.travel(at(days_ago), tick=False):
        for name, who, data in (
            ("accept", "handler1", {}),
            ("assign_person", "sub1_dispatcher", {"handler": org.user("handler1").pk}),
            (
                "resolve",
                "handler1",
                {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "达成协议"},
            ),
        ):
            case.refresh_from_db()
            perform(name, case, org.actor(who), data, via="test")


def run_only(*codes: str, full: bool | None = True) -> RunResult:
    return run(full=full, codes=list(codes))


def codes_of(result: RunResult, kind: str = "raised") -> list[str]:
    return sorted(w.model.code for w in getattr(result, kind))
