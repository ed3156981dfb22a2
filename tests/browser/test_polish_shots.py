"""Issue 13 in a real browser: intake errors under their own fields, the counter, the address list
never covering Save, the standard-QR receipt, and the portal form on a phone. Screenshots go to
docs/screenshots/polish-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.cases.actions import register_case
from tests.conftest import Org, case_payload

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_intake_errors_counter_and_receipt(org: Org, open_session: Any) -> None:
    s = open_session()
    s.login("handler1")
    s.goto("/staff/intake/")
    p = s.page
    p.fill("#in-applicant_name", "王小明")
    p.fill("#in-applicant_phone", "123")
    p.fill("#in-respondent_name", "李大年")
    p.fill("#in-respondent_phone", "456")
    p.fill("#in-title", "邻居建房挡住采光")
    p.fill("#in-description", "隔壁新建三层楼房，挡住我家采光。")
    assert "已写 16 字" in p.inner_text("#in-description-count")
    p.click("button[type=submit][data-once]")
    p.wait_for_selector("#in-applicant_phone-err")
    assert "请输入有效的手机号码" in p.inner_text("#in-respondent_phone-err")
    assert "ErrorDetail" not in p.content()
    s.shot("polish-intake-errors")
    # the address suggestions stay below the Save bar
    p.locator("#in-address_text").scroll_into_view_if_needed()
    p.fill("#in-address_text", "白塔")
    p.wait_for_timeout(600)
    box = p.locator("button[type=submit][data-once]").bounding_box()
    assert box is not None
    top = p.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y)?.closest('button[data-once]')",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert top
    case, _ = register_case(org.actor("handler1"), case_payload(org), via="test")
    s.goto(f"/staff/cases/{case.display_code}/receipt/")
    s.shot("polish-receipt")


def test_portal_form_on_a_phone(org: Org, open_session: Any) -> None:
    s = open_session(PHONE)
    s.goto(f"/portal/u/{org.village1.code}/")
    p = s.page
    p.fill("#id_description", "工地欠薪三个月，共12名工人，" * 10)
    assert "已写" in p.inner_text("#id_description-count")
    p.fill("#id_description", "长" * 5100)
    assert "已超出 100 字" in p.inner_text("#id_description-count")
    s.shot("polish-portal-counter")
    s.no_horizontal_scroll()
