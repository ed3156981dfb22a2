"""A constructed history for October 2026, walked through the real action layer with the clock moved,
so every metric can be checked against values computed by hand (see test_metrics.py)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

import time_machine

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from tests.conftest import Org
from tests.helpers import new_case, valid_input

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10, month: int = 10) -> Any:
    return time_machine.travel(dt.datetime(2026, month, day, hour, tzinfo=SH), tick=False)


def act(org: Org, name: str, case: Case, who: str, **data: Any) -> None:
    payload = valid_input(name, org) if not data else {**valid_input(name, org), **data}
    perform(name, case, org.actor(who), payload)


@dataclass
class History:
    a: Case  # mediated, resolved, closed, rated 满意, visited dual; contacted on time
    b: Case  # referred (unresolved), closed, rated 不满意; contacted late
    c: Case  # resolved + closed, then reopened (no longer concluded)
    d: Case  # withdrawn
    e: Case  # same applicant and type as A four days later, merged into C (makes A a repeat)
    f: Case  # transferred to the department mid-period, resolved and closed there
    g: Case  # paused (its due date falls in the period)
    h: Case  # resolved late (after its deadline), closed; rated 基本满意


def build(org: Org) -> History:
    with at(1):
        g = new_case(org, title="G 等待鉴定")
        act(org, "accept", g, "handler1")
        act(org, "pause", g, "handler1")
        h = new_case(org, title="H 逾期化解", parties=[{"role": "applicant", "name": "赵一", "phone": "13700000008"}])
        act(org, "accept", h, "handler1")
    with at(2):
        a = new_case(org, title="A 调解成功")
        act(org, "accept", a, "handler1")
        act(org, "first_contact", a, "handler1")
        act(org, "attach_team", a, "handler1")
    with at(3):
        b = new_case(org, title="B 转介诉讼", parties=[{"role": "applicant", "name": "钱二", "phone": "13700000002"}])
        act(org, "accept", b, "handler1")
        f = new_case(
            org,
            title="F 转人社",
            category="0801",
            parties=[{"role": "applicant", "name": "孙三", "phone": "13700000006"}],
        )
        act(org, "transfer", f, "handler1")
    with at(4):
        c = new_case(org, title="C 重新办理", parties=[{"role": "applicant", "name": "李四", "phone": "13700000003"}])
        act(org, "accept", c, "handler1")
        act(org, "accept", f, "dept_handler")
    with at(5):
        act(org, "resolve", a, "handler1")
        d = new_case(org, title="D 撤回", parties=[{"role": "applicant", "name": "周五", "phone": "13700000004"}])
        act(org, "withdraw", d, "handler1")
    with at(6):
        act(org, "close", a, "handler1")
        e = new_case(org, title="E 重复反映")  # same applicant phone and type (0201) as A
        act(org, "merge", e, "handler1", into=c.code)
        act(org, "resolve", c, "handler1")
    with at(7):
        act(org, "rate", a, "handler1", satisfaction="satisfied")
        act(org, "close", c, "handler1")
        act(org, "resolve", f, "dept_handler")
    with at(8):
        act(org, "return_visit", a, "handler1", matter_settled=True, grievance_settled=True)
        act(org, "first_contact", b, "handler1")  # five days after acceptance: late (72 h)
        act(org, "close", f, "dept_handler")
    with at(10):
        act(org, "refer", b, "handler1")
    with at(11):
        act(org, "close", b, "handler1")
        act(org, "rate", b, "handler1", satisfaction="unsatisfied")
    with at(20):
        act(org, "reopen", c, "dispatcher")
    with at(28):
        act(org, "resolve", h, "handler1")
        act(org, "close", h, "handler1")
        act(org, "rate", h, "handler1", satisfaction="basic")
    cases = {
        k: Case.objects.get(pk=v.pk)
        for k, v in {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h}.items()
    }
    return History(**cases)
