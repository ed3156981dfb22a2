"""The grid worker's day on a 390×844 phone in Chromium: home, a patrol whose check-ins survive the
connection dropping (queued on the page, resent when back online), an on-the-spot report with photo
and location, and the town's supervision page. Screenshots in docs/screenshots/grid-*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fengqiao.cases.models import Attachment, Case
from fengqiao.gridwork import actions
from fengqiao.gridwork.models import CheckIn, Patrol
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401  (fixtures)
from tests.conftest import Org
from tests.gridwork.helpers import PNG

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}


def plan(org: Org) -> None:
    gw = org.user("grid_worker")
    today = timezone.localdate()
    for name, days, purpose in (("王建国", 0, "回访调解协议履行情况"), ("李秀英", 3, "独居老人入户走访")):
        actions.plan_visit(
            gw,
            org.grid1,
            {
                "subject_kind": "household",
                "subject_name": name,
                "purpose": purpose,
                "due_date": str(today + dt.timedelta(days=days)),
            },
        )
    actions.report(gw, org.grid1, {"title": "楼道堆放杂物引发邻里矛盾", "description": "楼道堆放杂物堵塞通道。"})


def test_grid_worker_day_on_a_phone(org: Org, open_session: Any, tmp_path: Any) -> None:  # noqa: F811
    plan(org)
    s = open_session(PHONE)
    s.page.set_default_timeout(60_000)
    s.context.grant_permissions(["geolocation"])
    s.context.set_geolocation({"latitude": 28.8512, "longitude": 120.7321, "accuracy": 15})
    s.login("grid_worker")
    s.goto("/staff/grid/")
    expect(s.page.get_by_role("heading", name="白塔村第1网格")).to_be_visible()
    expect(s.page.get_by_text("王*国")).to_be_visible()
    s.no_horizontal_scroll()
    s.shot("grid-home-phone")

    s.page.get_by_role("button", name="开始巡查").click()
    expect(s.page.get_by_role("button", name="签到（记录当前位置）")).to_be_visible()
    s.page.get_by_role("button", name="签到（记录当前位置）").click()
    expect(s.page.locator("#gw-points li")).to_have_count(1)
    # The connection drops: two more check-ins wait on the phone.
    s.context.set_offline(True)
    for _ in range(2):
        s.page.get_by_role("button", name="签到（记录当前位置）").click()
        s.page.wait_for_timeout(300)
    expect(s.page.locator("#gw-queue")).to_contain_text("待上传 2 个签到点")
    expect(s.page.locator("#gw-status")).to_contain_text("网络已断开")
    s.shot("grid-patrol-offline-phone")
    assert CheckIn.objects.count() == 1
    s.context.set_offline(False)
    s.page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(s.page.locator("#gw-queue")).to_be_hidden()
    expect(s.page.locator("#gw-points li")).to_have_count(3)
    points = list(CheckIn.objects.all())
    assert len(points) == 3 and all(abs(p.lat - 28.8512) < 1e-4 for p in points)
    s.page.fill("#id_note", "桥头路灯不亮，已拍照")
    photo = tmp_path / "lamp.png"
    photo.write_bytes(PNG)
    s.page.set_input_files("#id_photo", str(photo))
    s.page.get_by_role("button", name="保存记录").click()
    expect(s.page.locator("#gw-points li")).to_have_count(4)
    s.no_horizontal_scroll()
    s.shot("grid-patrol-phone")
    s.page.get_by_role("button", name="结束巡查").click()
    expect(s.page.get_by_text("巡查已结束。")).to_be_visible()
    assert Patrol.objects.get().checkin_count == 4

    s.page.get_by_role("link", name="现场上报").click()
    s.page.get_by_role("button", name="提交上报").click()  # empty: errors under the fields
    expect(s.page.locator(".errorlist").first).to_be_visible()
    s.shot("grid-report-errors-phone")
    s.page.set_input_files("#id_photo", str(photo))
    s.page.fill("#id_title", "河道边堆放建筑垃圾")
    s.page.fill("#id_description", "河道边有人倾倒建筑垃圾，两户村民为清运费用争执。")
    expect(s.page.locator("[data-where]")).to_contain_text("28.85")
    s.page.get_by_role("button", name="提交上报").click()
    expect(s.page.get_by_text("已上报，案件编码")).to_be_visible()
    case = Case.objects.get(title="河道边堆放建筑垃圾")
    assert case.channel == "grid" and case.lat is not None and Attachment.objects.filter(case=case).count() == 1
    s.no_horizontal_scroll()

    s.goto("/staff/grid/")
    s.page.get_by_role("link", name="王*国").click()
    s.page.select_option("#id_outcome", "normal")
    s.page.fill("#id_notes", "协议已履行，双方满意。")
    s.page.get_by_role("button", name="保存走访记录").click()
    expect(s.page.get_by_text("走访已记录。")).to_be_visible()
    s.shot("grid-home-after-phone")


def test_supervision_page(org: Org, open_session: Any) -> None:  # noqa: F811
    plan(org)
    gw = org.user("grid_worker")
    p = actions.start_patrol(gw, org.grid1, {"client_id": "browser-test-1"})
    actions.stop_patrol(gw, p, {})
    for viewport, name in ((DESKTOP, "grid-supervision"), (PHONE, "grid-supervision-phone")):
        s = open_session(viewport)
        s.page.set_default_timeout(60_000)
        s.login("leader1")
        s.goto("/staff/grid/supervision/")
        expect(s.page.get_by_role("heading", name="网格层面化解率")).to_be_visible()
        expect(s.page.get_by_text("白塔村第1网格").first).to_be_visible()
        s.no_horizontal_scroll()
        s.shot(name)
