"""The warning pages in Chromium at 1366x900 and 390x844; screenshots in docs/screenshots/ew-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fengqiao.early_warning.engine import run
from fengqiao.early_warning.models import Warning
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401  (fixtures)
from tests.conftest import Org
from tests.early_warning.helpers import close_case, fresh_phone, make_case

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}
WAGE = "宏达建筑公司在白塔镇工地拖欠我们{t}工资三个多月，老板一直推脱不给，多次讨要无果，请求帮助追讨欠薪"


def scenario(org: Org) -> None:
    phone = fresh_phone()
    first = make_case(org, 40, phone=phone, text="征地补偿款分配不公，我家少分了两万元，要求重新核算", category="0501")
    close_case(org, first, 35)
    make_case(org, 20, phone=phone, channel="phone", text="征地补偿款仍少分两万元，要求公开分配名单", category="0501")
    make_case(org, 2, phone=phone, channel="hotline", text="征地补偿问题多次反映未解决，准备上访", category="0501")
    for i, t in enumerate(("木工班组", "钢筋班组", "泥水班组")):
        make_case(
            org, 3 - i, text=WAGE.format(t=t), category="0701", extra_applicants=[fresh_phone()] if i == 1 else None
        )
    run(full=True)


def test_warning_pages(org: Org, open_session: Any) -> None:  # noqa: F811
    scenario(org)
    person = Warning.objects.get(model__code="person_repeat")
    s = open_session(DESKTOP)
    s.page.set_default_timeout(90_000)  # a shared, busy machine: plotly.min.js is 4 MB
    s.login("leader1")
    s.goto("/staff/warnings/")
    expect(s.page.get_by_role("heading", name="预警研判")).to_be_visible()
    expect(s.page.get_by_text("重复反映人员").first).to_be_visible()
    s.no_horizontal_scroll()
    s.shot("ew-list")
    s.goto(f"/staff/warnings/{person.pk}/")
    expect(s.page.get_by_role("heading", name="整体画像")).to_be_visible()
    s.page.wait_for_selector("#profile .ew-chart .main-svg")  # the Plotly graph was drawn (CSP-safe JS)
    s.shot("ew-person")
    # assign through the form, then dismissing without a reason shows the error under its field
    s.page.select_option("#a-unit", str(org.sub1.pk))
    s.page.get_by_role("button", name="交办").click()
    expect(s.page.get_by_text("已办理。")).to_be_visible()
    s.page.get_by_role("button", name="排除预警").click()
    expect(s.page.locator("#err-dismiss-reason")).to_contain_text("请填写排除理由")
    person.refresh_from_db()
    assert person.status == "assigned"
    s.goto("/staff/warnings/clusters/")
    expect(s.page.get_by_role("heading", name="类案研判")).to_be_visible()
    s.shot("ew-clusters")
    s.goto("/staff/warnings/trends/")
    s.page.wait_for_selector(".ew-chart .main-svg")
    s.shot("ew-trends")
    group = Warning.objects.filter(model__code="issue_group").first()
    assert group is not None
    s.goto(f"/staff/warnings/{group.pk}/")
    s.page.fill("#n-title", "关于欠薪问题的工作提示")
    s.page.fill("#n-text", "请排查该公司在建工地欠薪情况")
    s.page.select_option("#n-units", [str(org.village1.pk)])
    s.page.get_by_role("button", name="发布").click()
    expect(s.page.get_by_text("工作提示已发布。")).to_be_visible()
    s.shot("ew-issue")
    case_code = person.case_ids[-1]
    from fengqiao.cases.models import Case

    s.goto(f"/staff/cases/{Case.objects.get(pk=case_code).display_code}/")
    expect(s.page.get_by_role("heading", name="相似已结案件及处理方式")).to_be_visible()

    phone = open_session(PHONE)
    phone.page.set_default_timeout(90_000)
    phone.login("leader1")
    phone.goto("/staff/warnings/")
    phone.no_horizontal_scroll()
    phone.shot("ew-list-phone")
    phone.goto(f"/staff/warnings/{person.pk}/")
    phone.no_horizontal_scroll()
    phone.shot("ew-person-phone")
