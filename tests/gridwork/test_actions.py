"""The grid-work action layer: patrols and idempotent check-ins, visits, on-the-spot reports and
deliveries; a refused action changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.models import Attachment, Case
from fengqiao.core.models import AuditEntry
from fengqiao.gridwork import actions
from fengqiao.gridwork.models import CheckIn, Delivery, GridEvent, Patrol, Visit
from fengqiao.org.choices import Role
from tests.conftest import Org, make_unit, make_user
from tests.gridwork.helpers import cid, not_an_image, png, point

pytestmark = pytest.mark.django_db


def start(org: Org) -> Patrol:
    return actions.start_patrol(org.user("grid_worker"), org.grid1, {"client_id": cid()})


def test_patrol_start_is_idempotent_and_one_at_a_time(org: Org) -> None:
    gw = org.user("grid_worker")
    key = cid()
    p = actions.start_patrol(gw, org.grid1, {"client_id": key})
    assert actions.start_patrol(gw, org.grid1, {"client_id": key}).pk == p.pk
    with pytest.raises(InvalidTransition):
        actions.start_patrol(gw, org.grid1, {"client_id": cid()})
    assert Patrol.objects.count() == 1
    assert GridEvent.objects.filter(code="patrol.start").count() == 1
    assert AuditEntry.objects.filter(action="gridwork.patrol.start").count() == 1


@pytest.mark.parametrize("who", ["handler1", "leader1", "sub1_dispatcher", "mediator_user", "nobody"])
def test_only_a_grid_worker_patrols(org: Org, who: str) -> None:
    with pytest.raises(ActionForbidden):
        actions.start_patrol(org.user(who), org.grid1, {"client_id": cid()})
    assert not Patrol.objects.exists()


def test_grid_worker_cannot_patrol_another_grid(org: Org) -> None:
    with pytest.raises(ActionForbidden):
        actions.start_patrol(org.user("grid_worker"), org.grid2, {"client_id": cid()})
    with pytest.raises(ActionInvalid) as exc:
        actions.start_patrol(org.user("grid_worker"), org.village1, {"client_id": cid()})
    assert "grid" in exc.value.errors


def test_checkins_resent_are_saved_once(org: Org) -> None:
    p = start(org)
    gw = org.user("grid_worker")
    pts = [point(timezone.now() + dt.timedelta(seconds=i)) for i in range(5)]
    for pt in pts[:3]:
        assert actions.check_in(gw, p, pt)[1] is True
    for pt in pts:  # the connection came back: the page resends the whole queue
        actions.check_in(gw, p, pt)
    p.refresh_from_db()
    assert p.checkin_count == 5 == CheckIn.objects.filter(patrol=p).count()
    assert GridEvent.objects.filter(code="patrol.checkin").count() == 5


def test_checkin_bad_input_changes_nothing(org: Org) -> None:
    p = start(org)
    gw = org.user("grid_worker")
    cases = [
        ({**point(), "client_id": "短"}, "client_id"),
        ({**point(), "lat": 123}, "lat"),
        ({**point(), "lon": None}, "lat"),  # a latitude without its longitude
        (point(p.started_at - dt.timedelta(hours=2)), "at"),
        (point(timezone.now() + dt.timedelta(hours=2)), "at"),
        ({"client_id": cid()}, "at"),
    ]
    for data, field in cases:
        with pytest.raises(ActionInvalid) as exc:
            actions.check_in(gw, p, data)
        assert field in exc.value.errors, (data, exc.value.errors)
    with pytest.raises(ActionInvalid) as bad:
        actions.check_in(gw, p, point(), photo=not_an_image())
    assert "photo" in bad.value.errors
    p.refresh_from_db()
    assert p.checkin_count == 0 and not CheckIn.objects.exists()


def test_checkin_with_photo_and_on_others_patrol(org: Org) -> None:
    p = start(org)
    c, _ = actions.check_in(org.user("grid_worker"), p, point(note="桥头堆放杂物"), photo=png())
    assert c.photo and c.photo_type == "image/png" and len(c.photo_sha256) == 64
    other = make_user("gw2", org.grid1, (Role.GRID_WORKER, org.grid1))
    with pytest.raises(ActionForbidden):
        actions.check_in(other, p, point())


def test_stop_then_late_points(org: Org) -> None:
    p = start(org)
    gw = org.user("grid_worker")
    queued = point(timezone.now())
    p = actions.stop_patrol(gw, p, {"note": "未发现异常"})
    assert p.ended_at is not None and actions.stop_patrol(gw, p, {}).ended_at == p.ended_at
    actions.check_in(gw, p, queued)  # taken before the stop, delivered after: kept
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)), pytest.raises(InvalidTransition):
        actions.check_in(gw, p, point(timezone.now()))
    assert CheckIn.objects.filter(patrol=p).count() == 1


def test_visit_plan_record_cancel(org: Org, new_case: Case) -> None:
    leader = org.user("leader1")
    gw = org.user("grid_worker")
    data = {
        "subject_kind": "party",
        "subject_name": "王小明",
        "purpose": "回访调解协议履行情况",
        "due_date": str(timezone.localdate() + dt.timedelta(days=2)),
        "case": new_case.display_code,
    }
    v = actions.plan_visit(leader, org.grid1, data)
    assert v.case_id == new_case.pk and v.masked_name == "王*明"
    raw = Visit.objects.extra(select={"raw": "subject_name"}).values_list("raw", flat=True).get(pk=v.pk)
    assert "王小明" not in raw  # encrypted at rest
    with pytest.raises(ActionInvalid) as exc:
        actions.record_visit(gw, v, {"notes": "已走访"})
    assert "outcome" in exc.value.errors
    v = actions.record_visit(gw, v, {"outcome": "normal", "notes": "协议已履行", "lat": 28.8, "lon": 120.7})
    assert v.status == "done" and v.done_by == gw
    with pytest.raises(InvalidTransition):
        actions.record_visit(gw, v, {"outcome": "normal", "notes": "再记一次"})
    v2 = actions.plan_visit(gw, org.grid1, {**data, "case": ""})
    with pytest.raises(ActionForbidden):
        actions.cancel_visit(org.user("handler2"), v2, {"reason": "不在辖区"})
    assert actions.cancel_visit(leader, v2, {"reason": "当事人外出务工"}).status == "cancelled"


def test_visit_bad_input(org: Org) -> None:
    gw = org.user("grid_worker")
    base = {"subject_kind": "household", "subject_name": "李家", "purpose": "入户", "due_date": "2020-01-01"}
    for data, field in [
        (base, "due_date"),
        ({**base, "due_date": "明天"}, "due_date"),
        ({**base, "subject_kind": "alien", "due_date": str(timezone.localdate())}, "subject_kind"),
        ({**base, "due_date": str(timezone.localdate()), "case": "9999-9999-9999"}, "case"),
        ({**base, "due_date": str(timezone.localdate()), "purpose": ""}, "purpose"),
    ]:
        with pytest.raises(ActionInvalid) as exc:
            actions.plan_visit(gw, org.grid1, data)
        assert field in exc.value.errors
    assert not Visit.objects.exists()
    with pytest.raises(ActionForbidden):
        actions.plan_visit(org.user("handler2"), org.grid1, {**base, "due_date": str(timezone.localdate())})


def test_report_becomes_a_case_with_photo_and_place(org: Org) -> None:
    gw = org.user("grid_worker")
    data = {"title": "河道边违规堆放建筑垃圾", "description": "白塔村第1网格河道边有人堆放建筑垃圾，邻里有争执。"}
    case = actions.report(gw, org.grid1, {**data, "lat": 28.85, "lon": 120.73}, photo=png())
    assert case.channel == "grid" and case.owner_unit_id == org.grid1.pk and case.location_unit_id == org.grid1.pk
    assert (case.lat, case.lon) == (28.85, 120.73)
    assert Attachment.objects.filter(case=case, content_type="image/png").count() == 1
    ev = GridEvent.objects.get(code="report.case")
    assert ev.case_id == case.pk and ev.data["photo"] is True
    spot = actions.report(gw, org.grid1, {**data, "resolved_on_spot": True, "result": "当场劝导清运"})
    assert spot.state == "resolved" and spot.resolved_at is not None


def test_report_refused_changes_nothing(org: Org) -> None:
    gw = org.user("grid_worker")
    before = Case.objects.count()
    for data, photo, field in [
        ({"description": "有情况"}, None, "title"),
        ({"title": "t", "description": "d", "lat": 28.8}, None, "lat"),
        ({"title": "t", "description": "d", "resolved_on_spot": True}, None, "result"),
        ({"title": "t", "description": "d"}, not_an_image(), "photo"),
        ({"title": "t", "description": "d", "category": "nope"}, None, "category"),
    ]:
        with pytest.raises(ActionInvalid) as exc:
            actions.report(gw, org.grid1, data, photo=photo)
        assert field in exc.value.errors
    with pytest.raises(ActionForbidden):
        actions.report(org.user("handler1"), org.grid1, {"title": "t", "description": "d"})
    assert Case.objects.count() == before and not Attachment.objects.exists()


def test_delivery_needs_confirmation(org: Org, new_case: Case) -> None:
    # new_case belongs to the town centre; its place (白塔村) is not inside grid1 yet
    Case.objects.filter(pk=new_case.pk).update(location_unit=org.grid1, location_path=org.grid1.path)
    gw = org.user("grid_worker")
    base = {"document_kind": "agreement", "document_title": "人民调解协议书", "recipient_name": "王小明"}
    with pytest.raises(ActionInvalid) as exc:
        actions.deliver(gw, org.grid1, new_case, {**base, "method": "in_person"})
    assert "confirmed" in exc.value.errors
    with pytest.raises(ActionInvalid) as exc:
        actions.deliver(gw, org.grid1, new_case, {**base, "method": "left", "confirmation": ""})
    assert "confirmation" in exc.value.errors
    d = actions.deliver(gw, org.grid1, new_case, {**base, "method": "in_person", "confirmed": True}, photo=png())
    assert d.confirmed and d.masked_recipient == "王*明"
    left = {**base, "method": "left", "confirmation": "村干部李某见证，留置于住所"}
    assert actions.deliver(gw, org.grid1, new_case, left).method == "left"
    assert Delivery.objects.count() == 2
    town2_case = actions.report(
        make_user("gw_t2", org.grid2, (Role.GRID_WORKER, org.grid2)), org.grid2, {"title": "t", "description": "d"}
    )
    with pytest.raises(ActionForbidden):
        actions.deliver(gw, org.grid1, town2_case, {**base, "method": "in_person", "confirmed": True})


def test_microgrid_worker_counts_for_grid(org: Org) -> None:
    micro = make_unit("331024103201-G01-01", "白塔村第1网格第1微网格", "microgrid", org.grid1)
    worker = make_user("micro", micro, (Role.GRID_WORKER, micro))
    p = actions.start_patrol(worker, micro, {"client_id": cid()})
    assert p.grid_path.startswith(org.grid1.path)
