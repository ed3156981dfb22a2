"""平安志愿 on the portal: join only with a phone proved by SMS code, see activities near my village,
sign up and cancel, points after the organiser's check-out, redeem in my village's 道德超市 (held until
staff hand it over), the ranking; bad input leaves everything as it was; the door is rate-limited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import PointsEntry, Redemption, Reward, SignUp, Volunteer
from tests.conftest import Org
from tests.portal.helpers import PHONE, Recorder, get_code

pytestmark = pytest.mark.django_db
HOME = "/portal/v/"


def publish(org: Org, unit: Any, title: str = "河道清洁志愿活动", capacity: int = 5) -> Any:
    start = timezone.now() + dt.timedelta(hours=2)
    data = {
        "title": title,
        "place": "村口溪边",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": capacity,
        "points_per_hour": 15,
    }
    return va.publish_activity(org.user("leader1"), unit, data)


def join(client: Client, org: Org, name: str = "王小红") -> Volunteer:
    rec = Recorder(client)
    code = get_code(rec, HOME, {})
    r = client.post(HOME, {"phone": PHONE, "sms_code": code, "action": "verify"})
    assert r.status_code == 200 and "加入平安志愿" in r.content.decode()
    r = client.post(HOME, {"phone": PHONE, "name": name, "village": org.village1.pk, "action": "join"})
    assert r.status_code == 302, r.content.decode()[:3000]
    return Volunteer.objects.get()


def test_join_needs_a_verified_phone(org: Org, client: Client) -> None:
    r = client.post(HOME, {"phone": PHONE, "name": "王小红", "village": org.village1.pk, "action": "join"})
    assert r.status_code == 400 and "请填写短信验证码" in r.content.decode()
    r = client.post(HOME, {"phone": PHONE, "sms_code": "000000", "action": "join", "name": "王小红"})
    assert r.status_code == 400 and "请先获取短信验证码" in r.content.decode()
    assert not Volunteer.objects.exists()


def test_join_bad_input_errors_under_the_field(org: Org, client: Client) -> None:
    rec = Recorder(client)
    code = get_code(rec, HOME, {})
    client.post(HOME, {"phone": PHONE, "sms_code": code, "action": "verify"})
    r = client.post(HOME, {"phone": PHONE, "name": "", "village": "", "action": "join"})
    html = r.content.decode()
    assert r.status_code == 400 and "请选择您所在的村（社区）" in html
    r = client.post(HOME, {"phone": PHONE, "name": "", "village": org.grid1.pk, "action": "join"})
    assert r.status_code == 400 and "请选择您所在的村（社区）" in r.content.decode()  # a grid is not a village
    r = client.post(HOME, {"phone": PHONE, "name": "", "village": org.village1.pk, "action": "join"})
    html = r.content.decode()
    assert r.status_code == 400 and 'class="field has-error"><label for="id_name">' in html
    # a different phone than the one proved is refused, under the phone
    r = client.post(HOME, {"phone": "13700001111", "name": "李四", "village": org.village1.pk, "action": "join"})
    assert r.status_code == 400
    assert not Volunteer.objects.exists()


def test_volunteer_journey(org: Org, client: Client) -> None:
    v = join(client, org)
    assert v.village == org.village1 and v.registered_by is None and v.masked_phone == "139****5678"
    near = publish(org, org.grid1)
    town = publish(org, org.town1, "乡镇反诈宣传")
    far = va.publish_activity(
        org.user("handler2"),
        org.village2,
        {
            "title": "田市村活动",
            "place": "田市村",
            "starts_at": near.starts_at.isoformat(),
            "ends_at": near.ends_at.isoformat(),
            "capacity": 3,
        },
    )
    html = client.get(HOME).content.decode()
    assert near.title in html and town.title in html and far.title not in html
    assert PHONE not in html and "王*红" in html
    assert client.get(f"/portal/v/a/{far.pk}/").status_code == 404  # not near my village
    r = client.post(f"/portal/v/a/{near.pk}/", {"action": "signup"})
    assert r.status_code == 302
    near.refresh_from_db()
    assert near.signed_up == 1 and "剩余 4 个" in client.get(f"/portal/v/a/{near.pk}/").content.decode()
    client.post(f"/portal/v/a/{near.pk}/", {"action": "cancel"})
    near.refresh_from_db()
    assert near.signed_up == 0 and SignUp.objects.get().cancelled_at is not None
    client.post(f"/portal/v/a/{near.pk}/", {"action": "signup"})  # again: the same row comes back
    s = SignUp.objects.get()
    assert s.cancelled_at is None
    leader = org.user("leader1")
    with time_machine.travel(near.starts_at, tick=False):
        va.check_in(leader, s)
    with time_machine.travel(near.starts_at + dt.timedelta(minutes=90), tick=False):
        va.check_out(leader, s)
    # 90 minutes × 15 points an hour = 22 (rounded down)
    html = client.get("/portal/v/points/").content.decode()
    assert "+22" in html and "1.5" in html
    soap = va.add_reward(leader, org.village1, {"name": "洗衣液", "cost": 20, "stock": 1})
    oil = va.add_reward(leader, org.village1, {"name": "食用油", "cost": 80, "stock": 3})
    other = va.add_reward(org.user("handler2"), org.village2, {"name": "毛巾", "cost": 1, "stock": 3})
    html = client.get("/portal/v/shop/").content.decode()
    assert "洗衣液" in html and "毛巾" not in html and "积分不足" in html
    client.post("/portal/v/shop/", {"reward": oil.pk})  # not enough points: nothing changes
    client.post("/portal/v/shop/", {"reward": other.pk})  # another village's shop: refused
    assert not Redemption.objects.exists()
    client.post("/portal/v/shop/", {"reward": soap.pk})
    red = Redemption.objects.get()
    soap.refresh_from_db()
    assert red.status == "requested" and soap.stock == 0 and va.balance(v) == 2
    assert "待领取" in client.get("/portal/v/shop/").content.decode()
    va.settle_redemption(leader, red, give=False)  # staff cancel: points and stock come back
    soap.refresh_from_db()
    assert soap.stock == 1 and va.balance(v) == 22 and va.ledger_check(v)["ok"]
    assert PointsEntry.objects.filter(volunteer=v).count() == 3
    html = client.get("/portal/v/rank/").content.decode()
    assert "王*红（我）" in html and "您排第 1 名" in html


def test_pages_need_the_verified_session(org: Org, client: Client) -> None:
    a = publish(org, org.village1)
    for url in ("/portal/v/points/", "/portal/v/shop/", "/portal/v/rank/", f"/portal/v/a/{a.pk}/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"] == HOME
    r = client.post(f"/portal/v/a/{a.pk}/", {"action": "signup"})
    assert r.status_code == 302 and not SignUp.objects.exists()


def test_posts_are_rate_limited(org: Org, client: Client, monkeypatch: Any) -> None:
    join(client, org)
    a = publish(org, org.village1)
    monkeypatch.setenv("FENGQIAO_PORTAL_VOLUNTEER_PER_IP_HOUR", "0")
    r = client.post(f"/portal/v/a/{a.pk}/", {"action": "signup"})
    assert r.status_code == 429 and "操作太频繁" in r.content.decode()
    assert not SignUp.objects.exists()
    r = client.post(HOME, {"phone": PHONE, "action": "send_code"})
    assert r.status_code == 429


def test_full_and_cancelled_activities_refuse(org: Org, client: Client) -> None:
    v = join(client, org)
    full = publish(org, org.village1, capacity=1)
    other = va.register_volunteer(org.user("leader1"), org.village1, {"name": "李四", "phone": "13700002222"})
    va.sign_up(org.user("leader1"), full, other)
    assert "名额已满" in client.get(f"/portal/v/a/{full.pk}/").content.decode()
    client.post(f"/portal/v/a/{full.pk}/", {"action": "signup"})
    gone = publish(org, org.village1, "已取消的活动")
    va.cancel_activity(org.user("leader1"), gone, {"reason": "天气原因"})
    client.post(f"/portal/v/a/{gone.pk}/", {"action": "signup"})
    assert not SignUp.objects.filter(volunteer=v).exists()
    assert Reward.objects.count() == 0
