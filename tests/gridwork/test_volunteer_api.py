"""The volunteer API and pages, role × objects in and out of the role's units: an activity of grid 1
(白塔镇), one of 田市村 (田市镇), their sign-ups, volunteers, rewards and redemptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.core.menu import items_for
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import Activity, Redemption, SignUp
from tests.conftest import Org, client_for

pytestmark = pytest.mark.django_db

# who → (sees 白塔 objects, sees 田市 objects); the grid worker sees the grid's activity only
SCOPE = {
    "grid_worker": (True, False),
    "handler1": (True, False),
    "leader1": (True, False),
    "sub1_dispatcher": (True, False),
    "handler2": (False, True),
    "dispatcher": (True, True),
    "county_leader": (True, True),
    "supervisor": (False, False),
    "dept_handler": (False, False),
    "mediator_user": (False, False),
    "nobody": (False, False),
}
VILLAGE_DESKS = {"handler1", "leader1", "sub1_dispatcher", "dispatcher", "county_leader"}


def _activity(user: Any, unit: Any, title: str) -> Activity:
    start = timezone.now() + dt.timedelta(hours=1)
    data = {
        "title": title,
        "place": "文化礼堂",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 5,
    }
    return va.publish_activity(user, unit, data)


@pytest.fixture
def world(org: Org) -> dict[str, Any]:
    l1, h2 = org.user("leader1"), org.user("handler2")
    a1 = _activity(org.user("grid_worker"), org.grid1, "白塔活动")
    a2 = _activity(h2, org.village2, "田市活动")
    v1 = va.register_volunteer(l1, org.village1, {"name": "王小红", "phone": "13900000001"})
    v2 = va.register_volunteer(h2, org.village2, {"name": "李大明", "phone": "13900000002"})
    s1, s2 = va.sign_up(l1, a1, v1), va.sign_up(h2, a2, v2)
    r1 = va.add_reward(l1, org.village1, {"name": "洗衣液", "cost": 0 + 1, "stock": 5})
    r2 = va.add_reward(h2, org.village2, {"name": "毛巾", "cost": 1, "stock": 5})
    for v in (v1, v2):
        from fengqiao.gridwork.models_volunteer import PointsEntry

        PointsEntry.objects.create(volunteer=v, delta=10, source=f"test:{v.pk}", reason="测试")
    d1, d2 = va.redeem(None, r1, v1), va.redeem(None, r2, v2)
    return {"a": (a1, a2), "s": (s1, s2), "v": (v1, v2), "r": (r1, r2), "d": (d1, d2)}


def _ids(resp: Any) -> set[int]:
    assert resp.status_code == 200, resp.content[:300]
    return {row["id"] for row in resp.json()["results"]}


@pytest.mark.parametrize("who", SCOPE)
def test_api_matrix(org: Org, world: dict[str, Any], who: str) -> None:
    api = client_for(org.user(who))
    mine = SCOPE[who]
    a_ids = _ids(api.get("/api/grid/volunteer/activities/"))
    for i in (0, 1):
        assert (world["a"][i].pk in a_ids) == mine[i]
        expect = 200 if mine[i] else 404
        assert api.get(f"/api/grid/volunteer/activities/{world['a'][i].pk}/").status_code == expect
        assert api.get(f"/api/grid/volunteer/activities/{world['a'][i].pk}/signups/").status_code == expect
        r = api.post(f"/api/grid/volunteer/signups/{world['s'][i].pk}/checkin/")
        assert r.status_code == expect, r.content[:300]
    # villages' things: the grid worker's scope (the grid) holds no village
    desk = [mine[0] and who != "grid_worker", mine[1]]
    v_ids = _ids(api.get("/api/grid/volunteer/volunteers/"))
    r_ids = _ids(api.get("/api/grid/volunteer/rewards/"))
    d_ids = _ids(api.get("/api/grid/volunteer/redemptions/"))
    for i in (0, 1):
        assert (world["v"][i].pk in v_ids) == desk[i]
        assert (world["r"][i].pk in r_ids) == desk[i]
        assert (world["d"][i].pk in d_ids) == desk[i]
        ledger = api.get(f"/api/grid/volunteer/volunteers/{world['v'][i].pk}/ledger/")
        assert ledger.status_code == (200 if desk[i] else 404)
        settle = api.post(f"/api/grid/volunteer/redemptions/{world['d'][i].pk}/settle/", {"give": True}, format="json")
        assert settle.status_code == (200 if desk[i] else 404)
    checked = set(SignUp.objects.filter(checked_in_at__isnull=False).values_list("pk", flat=True))
    assert checked == {world["s"][i].pk for i in (0, 1) if mine[i]}
    given = set(Redemption.objects.filter(status="done").values_list("pk", flat=True))
    assert given == {world["d"][i].pk for i in (0, 1) if desk[i]}


def test_api_publish_edit_cancel_and_ledger(org: Org, world: dict[str, Any]) -> None:
    api = client_for(org.user("leader1"))
    start = timezone.now() + dt.timedelta(days=1)
    body = {
        "unit": org.village1.pk,
        "title": "敬老院陪伴",
        "place": "镇敬老院",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 3,
    }
    r = api.post("/api/grid/volunteer/activities/", body, format="json")
    assert r.status_code == 201 and r.json()["state"] == "报名中" and r.json()["places_left"] == 3
    pk = r.json()["id"]
    bad = api.put(f"/api/grid/volunteer/activities/{pk}/", {**body, "ends_at": body["starts_at"]}, format="json")
    assert bad.status_code == 400 and "ends_at" in str(bad.json())
    out = api.post("/api/grid/volunteer/activities/", {**body, "unit": org.village2.pk}, format="json")
    assert out.status_code == 403 and Activity.objects.count() == 3
    ok = api.put(f"/api/grid/volunteer/activities/{pk}/", {**body, "capacity": 8}, format="json")
    assert ok.status_code == 200 and ok.json()["capacity"] == 8
    assert api.post(f"/api/grid/volunteer/activities/{pk}/cancel/", {}, format="json").status_code == 400
    c = api.post(f"/api/grid/volunteer/activities/{pk}/cancel/", {"reason": "下雨"}, format="json")
    assert c.status_code == 200 and c.json()["state"] == "已取消"
    ledger = api.get(f"/api/grid/volunteer/volunteers/{world['v'][0].pk}/ledger/").json()
    assert ledger["balance"] == 9 and ledger["check"]["ok"] and ledger["volunteer"]["name"] == "王*红"
    assert "13900000001" not in str(ledger) and ledger["volunteer"]["phone"] == "139****0001"
    rank = api.get(f"/api/grid/volunteer/rankings/?village={org.village1.pk}").json()
    assert [row["points"] for row in rank] == [10]
    assert api.get(f"/api/grid/volunteer/rankings/?village={org.village2.pk}").status_code == 404


def test_schema_lists_the_volunteer_api(org: Org) -> None:
    schema = client_for(org.user("dispatcher")).get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    for p in ("/api/grid/volunteer/activities/", "/api/grid/volunteer/redemptions/{id}/settle/"):
        assert p in text


# who → status of the staff volunteer pages (activity of grid 1)
PAGES = {
    "grid_worker": 200,
    "leader1": 200,
    "handler1": 200,
    "dispatcher": 200,
    "handler2": 404,
    "supervisor": 403,
    "mediator_user": 403,
    "nobody": 403,
}


@pytest.mark.parametrize("who,status", PAGES.items())
def test_pages_matrix(org: Org, world: dict[str, Any], who: str, status: int) -> None:
    c = Client()
    c.force_login(org.user(who))
    assert c.get(f"/staff/volunteers/a/{world['a'][0].pk}/").status_code == status
    r = c.post(f"/staff/volunteers/s/{world['s'][0].pk}/checkin/")
    assert r.status_code == (302 if status == 200 else status)
    assert SignUp.objects.get(pk=world["s"][0].pk).checked_in_at is not None if status == 200 else True
    home = c.get("/staff/volunteers/")
    assert home.status_code == (403 if status == 403 else 200)
    shop = c.get(f"/staff/volunteers/shop/?village={org.village1.pk}")
    assert shop.status_code == (200 if who in VILLAGE_DESKS else 403 if status == 403 else 404)


@pytest.mark.parametrize("who", ["grid_worker", "leader1", "supervisor", "mediator_user", "nobody"])
def test_menu_shows_volunteer_work_to_those_who_can_use_it(org: Org, who: str) -> None:
    user = org.user(who)
    keys = {i["key"] for i in items_for({g.role for g in user.role_grants()}, user.is_staff, user)}
    assert ("volunteers" in keys) == (who in ("grid_worker", "leader1"))
