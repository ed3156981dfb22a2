"""Volunteers: registration by phone, sign-up within capacity, hours → points credited once, an
append-only ledger whose balance is recomputed, and redemptions that never push the stock or the
balance below zero — also when several happen at once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import PointsEntry, Redemption, Reward, SignUp, Volunteer
from tests.conftest import Org


def activity(org: Org, capacity: int = 2, hours: int = 2) -> Any:
    start = timezone.now() + dt.timedelta(hours=1)
    data = {
        "title": "河道清洁志愿活动",
        "place": "白塔村文化礼堂",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
        "capacity": capacity,
        "points_per_hour": 10,
    }
    return va.publish_activity(org.user("grid_worker"), org.grid1, data)


def volunteer(org: Org, phone: str, name: str = "王小红") -> Volunteer:
    return va.register_volunteer(org.user("grid_worker"), org.village1, {"name": name, "phone": phone})


@pytest.mark.django_db
def test_register_validates_and_masks(org: Org) -> None:
    gw = org.user("grid_worker")
    with pytest.raises(ActionForbidden):  # a grid worker's scope is the grid, not the whole village
        va.register_volunteer(gw, org.village1, {"name": "王小红", "phone": "13812345678"})
    v = va.register_volunteer(org.user("leader1"), org.village1, {"name": "王小红", "phone": "138 1234 5678"})
    assert str(v) == "王*红" and v.masked_phone == "138****5678"
    for data, field in [
        ({"name": "李四", "phone": "138 1234 5678"}, "phone"),
        ({"name": "李四", "phone": "12"}, "phone"),
    ]:
        with pytest.raises(ActionInvalid) as exc:
            va.register_volunteer(org.user("leader1"), org.village1, data)
        assert field in exc.value.errors
    with pytest.raises(ActionForbidden):
        va.register_volunteer(org.user("handler2"), org.village1, {"name": "赵五", "phone": "13900000000"})
    assert Volunteer.objects.count() == 1


@pytest.mark.django_db
def test_hours_become_points_once(org: Org) -> None:
    leader = org.user("leader1")
    vols = [
        va.register_volunteer(leader, org.village1, {"name": f"志愿者{i}", "phone": f"1390000000{i}"}) for i in range(3)
    ]
    a = activity(org, capacity=2, hours=2)
    s1, s2 = va.sign_up(leader, a, vols[0]), va.sign_up(leader, a, vols[1])
    with pytest.raises(InvalidTransition):
        va.sign_up(leader, a, vols[2])  # full
    with pytest.raises(InvalidTransition):
        va.sign_up(leader, a, vols[0])  # twice
    with pytest.raises(InvalidTransition):
        va.check_out(leader, s1)  # not checked in
    with time_machine.travel(a.starts_at - dt.timedelta(minutes=10), tick=False):
        va.check_in(leader, s1)
    with time_machine.travel(a.starts_at + dt.timedelta(minutes=95), tick=False):
        s1 = va.check_out(leader, s1)
        va.check_out(leader, s1)  # a second tap credits nothing more
    # 95 minutes counted from the activity's start (the early arrival is not counted) × 10/h → 15 points
    assert s1.minutes == 95 and va.balance(vols[0]) == 15
    assert PointsEntry.objects.filter(source=f"signup:{s1.pk}").count() == 1
    with time_machine.travel(a.starts_at, tick=False):
        va.check_in(leader, s2)
    with time_machine.travel(a.ends_at + dt.timedelta(hours=3), tick=False):
        assert va.check_out(leader, s2).minutes == 120  # capped at the activity's length
    assert va.balance(vols[1]) == 20
    assert [v for v, _ in va.ranking(org.village1)] == [vols[1], vols[0]]
    assert SignUp.objects.count() == 2


@pytest.mark.django_db
def test_ledger_is_append_only(org: Org) -> None:
    v = volunteer_with_points(org, 30)
    entry = PointsEntry.objects.get(volunteer=v)
    entry.delta = 1000
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert va.balance(v) == 30


def volunteer_with_points(org: Org, points: int, phone: str = "13700000001") -> Volunteer:
    v = va.register_volunteer(org.user("leader1"), org.village1, {"name": "积分人", "phone": phone})
    PointsEntry.objects.create(volunteer=v, delta=points, source=f"test:{v.pk}", reason="测试")
    return v


@pytest.mark.django_db
def test_redeem_rules(org: Org) -> None:
    leader = org.user("leader1")
    v = volunteer_with_points(org, 25)
    soap = Reward.objects.create(village=org.village1, village_path=org.village1.path, name="洗衣液", cost=10, stock=1)
    oil = Reward.objects.create(village=org.village1, village_path=org.village1.path, name="食用油", cost=30, stock=5)
    with pytest.raises(InvalidTransition):
        va.redeem(leader, oil, v)  # 25 < 30
    va.redeem(leader, soap, v)
    with pytest.raises(InvalidTransition):
        va.redeem(leader, soap, v)  # stock 0
    soap.refresh_from_db()
    assert soap.stock == 0 and va.balance(v) == 15 and Redemption.objects.count() == 1
    with pytest.raises(ActionForbidden):
        va.redeem(org.user("handler2"), oil, v)


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_oversell(org: Org) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL")
    leader = org.user("leader1")
    reward = Reward.objects.create(village=org.village1, village_path=org.village1.path, name="毛巾", cost=10, stock=3)
    people = [volunteer_with_points(org, 10, phone=f"1360000000{i}") for i in range(6)]
    rich = volunteer_with_points(org, 20, phone="13600000099")
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(v: Volunteer) -> None:
        try:
            va.redeem(leader, reward, v)
            result = "ok"
        except InvalidTransition:
            result = "refused"
        except Exception as exc:  # pragma: no cover - reported below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(v,)) for v in [*people, rich, rich, rich]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reward.refresh_from_db()
    assert set(outcomes) <= {"ok", "refused"}, outcomes
    assert outcomes.count("ok") == 3 and reward.stock == 0
    assert Redemption.objects.count() == 3
    assert all(va.balance(v) >= 0 for v in [*people, rich])
