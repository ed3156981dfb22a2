"""Staff volunteer pages: bad input shows a plain error under its field and changes nothing; the
organiser's check-in/out credits points once; the 道德超市 hands over or cancels; the ledger page's
recompute check agrees with a constructed history and finds a line that does not fit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from fengqiao.core.models import AuditEntry
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import Activity, PointsEntry, Redemption, Reward
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def page(org: Org, who: str = "leader1") -> Client:
    c = Client()
    c.force_login(org.user(who))
    return c


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def form(org: Org, **over: Any) -> dict[str, Any]:
    start = timezone.now() + dt.timedelta(days=2)
    data = {
        "unit": org.village1.pk,
        "title": "河道清洁志愿活动",
        "place": "村口溪边",
        "starts_at": local(start),
        "ends_at": local(start + dt.timedelta(hours=2)),
        "capacity": "10",
        "points_per_hour": "10",
    }
    data.update(over)
    return data


def err_under(html: str, field: str) -> str:
    """The error list right after the field ``field``."""
    start = html.find(f'id="id_{field}"')
    if start < 0:
        return ""
    end = min(i for i in (html.find("<label", start), html.find("</form>", start)) if i >= 0)
    found = re.search(r'<ul class="errorlist"><li>([^<]+)</li>', html[start:end])
    return found.group(1) if found else ""


@pytest.mark.parametrize(
    "over,field,text",
    [
        ({"title": ""}, "title", "必填"),
        ({"capacity": "0"}, "capacity", "1"),
        ({"capacity": "很多"}, "capacity", "整数"),
        ({"starts_at": "明天"}, "starts_at", "日期时间格式"),
        ({"unit": ""}, "unit", "请选择发布单位"),
    ],
)
def test_publish_bad_input(org: Org, over: dict[str, Any], field: str, text: str) -> None:
    c = page(org)
    audit_before = AuditEntry.objects.count()
    r = c.post("/staff/volunteers/new/", form(org, **over))
    html = r.content.decode()
    assert r.status_code == 400
    assert text in err_under(html, field), html[html.find("<form") :][:1500]
    assert not Activity.objects.exists() and AuditEntry.objects.count() == audit_before


def test_ends_before_start_is_refused_under_the_end(org: Org) -> None:
    data = form(org)
    r = page(org).post("/staff/volunteers/new/", {**data, "ends_at": data["starts_at"]})
    assert r.status_code == 400 and "结束时间须晚于开始时间" in err_under(r.content.decode(), "ends_at")
    assert not Activity.objects.exists()


def test_publish_edit_cancel(org: Org) -> None:
    c = page(org)
    r = c.post("/staff/volunteers/new/", form(org))
    a = Activity.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/staff/volunteers/a/{a.pk}/"
    v = va.register_volunteer(org.user("leader1"), org.village1, {"name": "王小红", "phone": "13900000001"})
    va.sign_up(org.user("leader1"), a, v)
    r = c.post(f"/staff/volunteers/a/{a.pk}/edit/", form(org, capacity="0"))
    assert r.status_code == 400
    assert "已有1人报名" in err_under(r.content.decode(), "capacity") or "1" in err_under(
        r.content.decode(), "capacity"
    )
    a.refresh_from_db()
    assert a.capacity == 10
    r = c.post(f"/staff/volunteers/a/{a.pk}/edit/", form(org, title="河道清洁（改期）", capacity="12"))
    a.refresh_from_db()
    assert r.status_code == 302 and a.title == "河道清洁（改期）" and a.capacity == 12
    r = c.post(f"/staff/volunteers/a/{a.pk}/cancel/", {"reason": ""})
    assert r.status_code == 400 and "不能为空" in err_under(r.content.decode(), "reason")
    a.refresh_from_db()
    assert a.cancelled_at is None
    c.post(f"/staff/volunteers/a/{a.pk}/cancel/", {"reason": "台风预警"})
    a.refresh_from_db()
    html = c.get(f"/staff/volunteers/a/{a.pk}/").content.decode()
    assert a.cancelled_at is not None and "台风预警" in html and "已取消" in html
    assert "13900000001" not in html and "139****0001" in html


def test_check_in_out_credits_once_and_shows_on_the_ledger(org: Org) -> None:
    leader = org.user("leader1")
    start = timezone.now() + dt.timedelta(hours=1)
    a = va.publish_activity(
        leader,
        org.village1,
        {
            "title": "防汛隐患排查",
            "place": "水库",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
            "capacity": 4,
            "points_per_hour": 20,
        },
    )
    v = va.register_volunteer(leader, org.village1, {"name": "王小红", "phone": "13900000001"})
    s = va.sign_up(leader, a, v)
    c = page(org)
    assert c.post(f"/staff/volunteers/s/{s.pk}/checkout/").status_code == 302  # refused: not checked in
    assert not PointsEntry.objects.exists()
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        page(org).post(f"/staff/volunteers/s/{s.pk}/checkin/")  # a fresh login: sessions idle out in 30 minutes
    with time_machine.travel(start + dt.timedelta(minutes=140), tick=False):
        c = page(org)
        c.post(f"/staff/volunteers/s/{s.pk}/checkout/")
        c.post(f"/staff/volunteers/s/{s.pk}/checkout/")
    # 135 minutes × 20/h = 45 points, once
    assert list(PointsEntry.objects.values_list("delta", flat=True)) == [45]
    html = c.get(f"/staff/volunteers/people/{v.pk}/").content.decode()
    assert "+45" in html and "一致" in html and "2.2" in html  # 135 min = 2.25 h, shown rounded
    # a line that no sign-up explains is reported by the recompute check
    PointsEntry.objects.create(volunteer=v, delta=100, source="signup:999999", reason="手工")
    html = c.get(f"/staff/volunteers/people/{v.pk}/").content.decode()
    assert "不一致" in html and "signup:999999" in html


def test_shop_add_edit_and_hand_over(org: Org) -> None:
    leader = org.user("leader1")
    c = page(org)
    url = f"/staff/volunteers/shop/?village={org.village1.pk}"
    r = c.post(url, {"village": org.village1.pk, "name": "", "cost": "-1", "stock": "3"})
    html = r.content.decode()
    assert r.status_code == 400 and "必填" in err_under(html, "name") and err_under(html, "cost")
    assert not Reward.objects.exists()
    r = c.post(url, {"village": org.village1.pk, "name": "洗衣液", "cost": "10", "stock": "2"})
    soap = Reward.objects.get()
    assert r.status_code == 302 and soap.stock == 2
    r = c.post(f"/staff/volunteers/shop/r/{soap.pk}/", {"name": "洗衣液", "cost": "10", "stock": "-5"})
    soap.refresh_from_db()
    assert r.status_code == 400 and soap.stock == 2 and "0" in r.content.decode()
    c.post(f"/staff/volunteers/shop/r/{soap.pk}/", {"name": "洗衣液", "cost": "10", "stock": "6"})
    soap.refresh_from_db()
    assert soap.stock == 6
    v = va.register_volunteer(leader, org.village1, {"name": "王小红", "phone": "13900000001"})
    PointsEntry.objects.create(volunteer=v, delta=25, source="test:1", reason="测试")
    red = va.redeem(None, soap, v)
    assert "确认领取" in c.get(url).content.decode()
    c.post(f"/staff/volunteers/shop/d/{red.pk}/give/")
    red.refresh_from_db()
    assert red.status == "done" and va.balance(v) == 15
    c.post(f"/staff/volunteers/shop/d/{red.pk}/cancel/")  # already handed over: nothing changes
    red.refresh_from_db()
    soap.refresh_from_db()
    assert red.status == "done" and soap.stock == 5 and va.balance(v) == 15
    assert Redemption.objects.count() == 1
    assert c.get(f"/staff/volunteers/shop/?village={org.village2.pk}").status_code == 404


def test_ranking_page_per_village(org: Org) -> None:
    leader = org.user("leader1")
    a = va.register_volunteer(leader, org.village1, {"name": "王小红", "phone": "13900000001"})
    b = va.register_volunteer(leader, org.village1, {"name": "李大明", "phone": "13900000002"})
    PointsEntry.objects.create(volunteer=a, delta=10, source="test:a", reason="测试")
    PointsEntry.objects.create(volunteer=b, delta=30, source="test:b", reason="测试")
    PointsEntry.objects.create(volunteer=b, delta=-25, source="test:b2", reason="兑换")
    html = page(org).get(f"/staff/volunteers/ranking/?village={org.village1.pk}").content.decode()
    assert html.index("李*明") < html.index("王*红") and "30 分" in html  # spending does not lower the rank


def test_staff_pages_in_english(org: Org, settings: Any) -> None:
    c = page(org)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get("/staff/volunteers/").content.decode()
    assert "Publish an activity" in html and "Coming up" in html and "发布活动" not in html
    html = c.get(f"/staff/volunteers/shop/?village={org.village1.pk}").content.decode()
    assert "Points shop" in html and "Add an item" in html
