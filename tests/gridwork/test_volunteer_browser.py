"""The volunteer journey in Chromium: a citizen proves their phone and joins on a 390×844 phone, signs
up for an activity of their grid, the grid worker checks them in and out at the place (on a phone),
the points show on the citizen's ledger, they redeem in the village's 道德超市, the town's desk hands
the item over. Each page is captured at 390×844 and 1366×900 (docs/screenshots/vol-*.png)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import PointsEntry, Redemption, SignUp, Volunteer
from fengqiao.notify.outbox import relay
from fengqiao.notify.templates import seed_message_templates
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401  (fixtures)
from tests.conftest import Org
from tests.portal import sms_backend

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1366, "height": 900}
MOBILE = "13912345678"


def world(org: Org) -> dict[str, Any]:
    leader, gw = org.user("leader1"), org.user("grid_worker")
    now = timezone.now()

    def publish(user: Any, unit: Any, title: str, place: str, start: dt.datetime, hours: int, pph: int) -> Any:
        data = {
            "title": title,
            "place": place,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
            "capacity": 10,
            "points_per_hour": pph,
        }
        return va.publish_activity(user, unit, data)

    river = publish(gw, org.grid1, "河道清洁志愿活动", "白塔村村口溪边", now - dt.timedelta(minutes=30), 3, 60)
    publish(leader, org.town1, "反诈宣传进农户", "白塔镇文化站", now + dt.timedelta(days=3), 2, 10)
    publish(leader, org.village1, "敬老院陪伴服务", "白塔镇敬老院", now + dt.timedelta(days=8), 2, 15)
    for name, cost, stock in (("洗衣液（2kg）", 20, 5), ("食用油（5L）", 80, 3), ("毛巾两条", 15, 0)):
        va.add_reward(leader, org.village1, {"name": name, "cost": cost, "stock": stock})
    for i, (name, pts) in enumerate((("李秀英", 60), ("张建华", 35), ("陈美玲", 10))):
        v = va.register_volunteer(leader, org.village1, {"name": name, "phone": f"1370000000{i}"})
        PointsEntry.objects.create(volunteer=v, delta=pts, source=f"demo:{v.pk}", reason="往期服务")
    return {"river": river}


def both_sizes(s: Any, wide: Any, path: str, name: str) -> None:
    """Capture ``path`` on the phone session and on a desktop one with the same cookies."""
    s.goto(path)
    s.page.wait_for_load_state("networkidle")
    s.no_horizontal_scroll()
    s.shot(f"{name}-phone")
    wide.context.clear_cookies()
    wide.context.add_cookies(s.context.cookies())
    wide.goto(path)
    wide.page.wait_for_load_state("networkidle")
    wide.no_horizontal_scroll()
    wide.shot(name)


def test_volunteer_journey(org: Org, open_session: Any, settings: Any) -> None:  # noqa: F811
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    seed_message_templates()
    sms_backend.reset()
    w = world(org)
    citizen, wide = open_session(PHONE), open_session(DESKTOP)
    page = citizen.page

    # Join with a verified phone
    citizen.goto("/portal/v/")
    both_sizes(citizen, wide, "/portal/v/", "vol-enter")
    page.fill("#id_phone", MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_load_state("networkidle")
    relay()
    page.fill("#id_sms_code", sms_backend.last_code(MOBILE))
    page.get_by_role("button", name="验证手机号").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="加入平安志愿").click()  # nothing filled in: errors under the fields
    page.wait_for_load_state("networkidle")
    expect(page.locator(".field.has-error")).to_have_count(2)
    citizen.shot("vol-join-errors-phone")
    page.fill("#id_name", "王小红")
    page.select_option("#id_village", str(org.village1.pk))
    page.get_by_role("button", name="加入平安志愿").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("欢迎加入平安志愿")
    v = Volunteer.objects.get(village=org.village1, registered_by=None)
    assert MOBILE not in page.content() and "139****5678" in page.content()

    # Sign up for the river clean-up of my grid
    page.get_by_role("link", name="河道清洁志愿活动").click()
    page.get_by_role("button", name="报名参加").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".note.success")).to_contain_text("报名成功")
    both_sizes(citizen, wide, f"/portal/v/a/{w['river'].pk}/", "vol-activity")
    both_sizes(citizen, wide, "/portal/v/", "vol-home")
    s = SignUp.objects.get(volunteer=v)

    # The grid worker checks them in at the place, on a phone, and out 25 minutes later
    staff = open_session(PHONE)
    staff.login("grid_worker")
    staff.goto("/staff/volunteers/")
    staff.page.get_by_role("link", name="河道清洁志愿活动").click()
    staff.page.get_by_role("button", name="签到").click()
    staff.page.wait_for_load_state("networkidle")
    expect(staff.page.locator(".gw-list")).to_contain_text("已签到")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=25), tick=True):
        staff.page.get_by_role("button", name="签退").click()
        staff.page.wait_for_load_state("networkidle")
        expect(staff.page.get_by_role("status")).to_contain_text("积分已记入")
        staff_wide = open_session(DESKTOP)
        both_sizes(staff, staff_wide, "/staff/volunteers/", "vol-staff-home")
        both_sizes(staff, staff_wide, f"/staff/volunteers/a/{w['river'].pk}/", "vol-staff-activity")
        s.refresh_from_db()
        assert s.minutes == 25 and va.balance(v) == 25  # 25 minutes × 60 points an hour ÷ 60

        # Points on my ledger; redeem the washing liquid (20); the ranking
        both_sizes(citizen, wide, "/portal/v/points/", "vol-points")
        expect(page.locator(".vol-ledger").first).to_contain_text("+25")
        citizen.goto("/portal/v/shop/")
        page.locator("li", has_text="洗衣液").get_by_role("button", name="兑换").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator(".note.success")).to_contain_text("请到村（社区）道德超市领取")
        expect(page.locator("li", has_text="毛巾两条").get_by_role("button")).to_be_disabled()
        both_sizes(citizen, wide, "/portal/v/shop/", "vol-shop")
        both_sizes(citizen, wide, "/portal/v/rank/", "vol-rank")
        red = Redemption.objects.get(volunteer=v)
        assert red.status == "requested" and va.balance(v) == 5

        # The town's desk hands it over and sees the ledger agree with the recomputation
        desk = open_session(DESKTOP)
        desk.login("leader1")
        desk.goto(f"/staff/volunteers/shop/?village={org.village1.pk}")
        desk.page.get_by_role("button", name="确认领取").click()
        desk.page.wait_for_load_state("networkidle")
        red.refresh_from_db()
        assert red.status == "done"
        desk_phone = open_session(PHONE)
        desk_phone.context.add_cookies(desk.context.cookies())
        both_sizes(desk_phone, desk, f"/staff/volunteers/shop/?village={org.village1.pk}", "vol-staff-shop")
        both_sizes(desk_phone, desk, f"/staff/volunteers/people/{v.pk}/", "vol-staff-ledger")
        expect(desk.page.locator(".gw-ok")).to_contain_text("一致")
        both_sizes(desk_phone, desk, f"/staff/volunteers/ranking/?village={org.village1.pk}", "vol-staff-ranking")
        both_sizes(desk_phone, desk, "/staff/volunteers/new/", "vol-staff-new")
