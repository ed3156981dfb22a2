"""The citizen journey in Chromium on a phone-sized screen: scan the 民生码 → submit with SMS
verification → receipt → track → supplement → (staff resolve through the action layer) → rate
unhappy → reopened. Phone screenshots of home, submit, receipt and track go to docs/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.notify.outbox import relay
from fengqiao.notify.templates import seed_message_templates
from tests.browser.conftest import PHONE
from tests.conftest import Org
from tests.helpers import valid_input
from tests.portal import sms_backend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOBILE = "13912345678"


def font_px(page: Any, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_citizen_journey_on_a_phone(org: Org, open_session: Any, settings: Any) -> None:
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    seed_message_templates()  # an earlier transactional test may have flushed the migration's seed
    sms_backend.reset()
    s = open_session(PHONE)
    page = s.page

    s.goto("/portal/")
    expect(page.get_by_role("link", name="我要反映")).to_be_visible()
    assert font_px(page, "body") >= 17  # large text for elderly users
    s.no_horizontal_scroll()
    s.shot("portal-home")

    # Scan the village's 民生码: the place is pre-filled.
    s.goto(f"/portal/u/{org.village1.code}/")
    expect(page.locator(".chain")).to_contain_text("白塔村")
    page.fill("#id_description", "隔壁新建的猪圈紧挨我家院墙，气味很大。多次协商没有结果，希望村里帮忙调解。")
    page.fill("#id_address_text", "3组12号")
    page.fill("#id_name", "王先生")
    page.fill("#id_phone", MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("验证码已发送")
    relay()  # the SMS leaves through the outbox
    page.fill("#id_sms_code", sms_backend.last_code(MOBILE))
    page.check("#id_consent")
    s.no_horizontal_scroll()
    s.shot("portal-submit")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    case = Case.objects.get()
    expect(page.locator(".bigcode")).to_have_text(case.display_code)
    assert MOBILE not in page.url and "phone" not in page.url
    s.no_horizontal_scroll()
    s.shot("portal-receipt")

    page.get_by_role("link", name="查看办理进度").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".state")).to_contain_text("已登记")
    page.fill("#id_text", "补充：对方昨晚又堆了粪肥。")
    page.get_by_role("button", name="提交补充").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#timeline")).to_contain_text("对方昨晚又堆了粪肥")

    # Staff handle and resolve it (action layer).
    case.refresh_from_db()
    perform("accept", case, org.actor("handler1"), {})
    perform("assign_person", case, org.actor("sub1_dispatcher"), valid_input("assign_person", org))
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    page.reload()
    expect(page.locator(".state")).to_contain_text("已化解")
    expect(page.locator("#rate")).to_be_visible()
    s.no_horizontal_scroll()
    s.shot("portal-track")

    page.locator("input[name=satisfaction][value=unsatisfied]").check()
    page.locator("input[name=matter_settled][value=no]").check()
    page.locator("input[name=grievance_settled][value=no]").check()
    page.fill("#id_comment", "猪圈还在")
    page.check("#id_reopen")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("重新办理")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.satisfaction == ""
    assert case.events.get(code="case.rate").data["satisfaction"] == "unsatisfied"
    assert case.events.get(code="case.reopen").reason == "猪圈还在"

    relay()
    templates = [m.template for m in sms_backend.SENT if m.phone == MOBILE]
    for name in ("verify", "registered", "accepted", "assigned", "resolved", "reopened"):
        assert templates.count(name) == 1, (name, templates)
    sms_backend.reset()
