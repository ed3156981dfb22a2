"""Who sees and does what, on the pages and through the API: role × in/out of the grid's units."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.core.menu import items_for
from fengqiao.gridwork import actions
from fengqiao.gridwork.models import CheckIn, Patrol, Visit
from fengqiao.org.choices import Role
from tests.conftest import Org, client_for
from tests.gridwork.helpers import cid, png, point

pytestmark = pytest.mark.django_db

# who → expected status of grid1's home page
HOME = {
    "grid_worker": 200,
    "handler1": 200,
    "leader1": 200,
    "sub1_dispatcher": 200,
    "dispatcher": 200,
    "county_leader": 200,
    "supervisor": 200,
    "handler2": 404,
    "dept_handler": 404,
    "mediator_user": 403,
    "nobody": 403,
}
SUPERVISION = {"leader1": 200, "handler1": 200, "supervisor": 200, "grid_worker": 403, "mediator_user": 403}


def page(org: Org, who: str) -> Client:
    c = Client()
    c.force_login(org.user(who))
    return c


@pytest.fixture
def history(org: Org) -> dict[str, Any]:
    gw = org.user("grid_worker")
    p = actions.start_patrol(gw, org.grid1, {"client_id": cid()})
    c, _ = actions.check_in(gw, p, point(), photo=png())
    v = actions.plan_visit(
        gw,
        org.grid1,
        {"subject_kind": "household", "subject_name": "李家", "purpose": "入户", "due_date": str(timezone.localdate())},
    )
    return {"patrol": p, "checkin": c, "visit": v}


@pytest.mark.parametrize("who,status", HOME.items())
def test_grid_home_matrix(org: Org, history: dict[str, Any], who: str, status: int) -> None:
    c = page(org, who)
    assert c.get(f"/staff/grid/{org.grid1.pk}/").status_code == status
    assert c.get(f"/staff/grid/patrols/{history['patrol'].pk}/").status_code == status
    photo = c.get(f"/staff/grid/photo/checkin/{history['checkin'].pk}/")
    assert photo.status_code == status
    api = client_for(org.user(who))
    ids = [r["id"] for r in api.get("/api/grid/patrols/").json()["results"]]
    assert (history["patrol"].pk in ids) == (status == 200)
    vids = [r["id"] for r in api.get("/api/grid/visits/").json()["results"]]
    assert (history["visit"].pk in vids) == (status == 200)


def test_home_shows_the_grid_workers_day(org: Org, history: dict[str, Any]) -> None:
    html = page(org, "grid_worker").get("/staff/grid/", follow=True).content.decode()
    assert "白塔村第1网格" in html and "继续巡查" in html and "李*" in html and "现场上报" in html
    assert "李家" not in html  # masked by default


@pytest.mark.parametrize("who,status", SUPERVISION.items())
def test_supervision_matrix(org: Org, who: str, status: int) -> None:
    c = page(org, who)
    assert c.get("/staff/grid/supervision/").status_code == status
    assert c.get("/staff/grid/supervision/cases/?part=num").status_code == status
    api = client_for(org.user(who)).get("/api/grid/supervision/")
    assert api.status_code == status


def test_supervision_out_of_scope_unit(org: Org) -> None:
    assert page(org, "leader1").get(f"/staff/grid/supervision/?unit={org.town2.pk}").status_code == 404
    assert client_for(org.user("leader1")).get(f"/api/grid/supervision/?unit={org.town2.pk}").status_code == 403


def test_forms_by_role(org: Org) -> None:
    gw, h1 = page(org, "grid_worker"), page(org, "handler1")
    g = org.grid1.pk
    assert gw.get(f"/staff/grid/{g}/report/").status_code == 200
    assert h1.get(f"/staff/grid/{g}/report/").status_code == 403
    assert h1.get(f"/staff/grid/{g}/visits/new/").status_code == 200
    assert page(org, "supervisor").get(f"/staff/grid/{g}/visits/new/").status_code == 403
    assert page(org, "handler2").get(f"/staff/grid/{g}/deliver/").status_code == 404


def test_menus_fit_the_role(org: Org) -> None:
    def keys(who: str) -> set[str]:
        user = org.user(who)
        return {i["key"] for i in items_for({g.role for g in user.role_grants()}, user.is_staff)}

    grid = keys("grid_worker")
    assert "grid-home" in grid and "grid-supervision" not in grid
    assert not grid & {"hotline", "ledger-import", "triage-queue", "leader", "systems"}
    assert {"grid-home", "grid-supervision"} <= keys("leader1")
    assert "grid-home" not in keys("mediator_user")


def test_menu_entries_open(org: Org) -> None:
    for who in ("grid_worker", "leader1", "handler1", "supervisor"):
        c = page(org, who)
        user = org.user(who)
        for item in items_for({g.role for g in user.role_grants()}, user.is_staff):
            if item["key"].startswith("grid-"):
                assert c.get(item["url"], follow=True).status_code == 200, (who, item)


def test_report_form_errors_under_fields(org: Org) -> None:
    c = page(org, "grid_worker")
    r = c.post(f"/staff/grid/{org.grid1.pk}/report/", {"title": "", "description": "", "lat": "91", "lon": "120"})
    html = r.content.decode()
    assert r.status_code == 400 and "errorlist" in html and "This field" not in html
    assert html.count('class="errorlist"') >= 3


def test_report_page_makes_a_case(org: Org) -> None:
    c = page(org, "grid_worker")
    data = {
        "title": "路灯损坏引发争执",
        "description": "两户因路灯费用分摊争执",
        "lat": "28.85",
        "lon": "120.73",
        "photo": png(),
    }
    r = c.post(f"/staff/grid/{org.grid1.pk}/report/", data)
    assert r.status_code == 302 and "/staff/cases/" in r["Location"]


def test_patrol_pages_and_json_checkin(org: Org) -> None:
    c = page(org, "grid_worker")
    r = c.post(f"/staff/grid/{org.grid1.pk}/patrol/start/", {"client_id": cid()})
    p = Patrol.objects.get()
    assert r["Location"].endswith(f"/staff/grid/patrols/{p.pk}/")
    body = point()
    for expected in (201, 200):  # the resend answers 200 and saves nothing
        j = c.post(f"/staff/grid/patrols/{p.pk}/checkin/", body, HTTP_ACCEPT="application/json")
        assert j.status_code == expected
    bad = c.post(f"/staff/grid/patrols/{p.pk}/checkin/", {**point(), "lat": "abc"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "lat" in bad.json()["errors"]
    assert CheckIn.objects.count() == 1
    other = page(org, "handler1").post(f"/staff/grid/patrols/{p.pk}/checkin/", point(), HTTP_ACCEPT="application/json")
    assert other.status_code == 403
    assert c.post(f"/staff/grid/patrols/{p.pk}/stop/", {"note": "正常"}).status_code == 302


def test_api_offline_batch_of_500(org: Org) -> None:
    """A patrol of 500 check-ins queued on a phone: the first upload drops after 200, the phone resends
    the whole queue when it is back online; every point is saved exactly once."""
    api = client_for(org.user("grid_worker"))
    began = (timezone.now() - dt.timedelta(minutes=11)).isoformat()
    p = api.post("/api/grid/patrols/", {"grid": org.grid1.pk, "client_id": cid(), "started_at": began}, format="json")
    p = p.json()
    start = timezone.now() - dt.timedelta(minutes=10)
    queue = [point(start + dt.timedelta(seconds=i)) for i in range(500)]
    first = api.post(f"/api/grid/patrols/{p['id']}/checkins/", {"checkins": queue[:200]}, format="json").json()
    assert first == {"saved": 200, "already": 0, "refused": {}}
    again = api.post(f"/api/grid/patrols/{p['id']}/checkins/", {"checkins": queue}, format="json").json()
    assert again == {"saved": 300, "already": 200, "refused": {}}
    assert Patrol.objects.get().checkin_count == 500 == CheckIn.objects.count()
    too_many = api.post(f"/api/grid/patrols/{p['id']}/checkins/", {"checkins": queue + queue[:1]}, format="json")
    assert too_many.status_code == 400
    assert api.post(f"/api/grid/patrols/{p['id']}/checkins/", [1, 2], format="json").status_code == 400


def test_api_bad_input_and_roles(org: Org) -> None:
    api = client_for(org.user("grid_worker"))
    assert api.post("/api/grid/patrols/", {"grid": org.grid2.pk, "client_id": cid()}, format="json").status_code == 403
    assert api.post("/api/grid/patrols/", {"grid": "x", "client_id": cid()}, format="json").status_code == 400
    r = api.post("/api/grid/visits/", {"grid": org.grid1.pk, "subject_kind": "household"}, format="json")
    assert r.status_code == 400 and not Visit.objects.exists()
    h = client_for(org.user("handler1"))
    r = h.post("/api/grid/reports/", {"grid": org.grid1.pk, "title": "t", "description": "d"}, format="json")
    assert r.status_code == 403
    ok = api.post("/api/grid/reports/", {"grid": org.grid1.pk, "title": "t", "description": "d"}, format="json")
    assert ok.status_code == 201 and ok.json()["state"] == "registered"
    assert client_for(org.user("nobody")).get("/api/grid/patrols/").json()["count"] == 0


def test_anonymous_refused(org: Org, api: Any) -> None:
    assert api.get("/api/grid/patrols/").status_code in (401, 403)
    assert Client().get(f"/staff/grid/{org.grid1.pk}/").status_code == 302


def test_schema_lists_the_grid_api(org: Org) -> None:
    c = page(org, "sysadmin")
    c.user = org.user("sysadmin")  # type: ignore[attr-defined]
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {"/api/grid/patrols/", "/api/grid/patrols/{id}/checkins/", "/api/grid/reports/"} <= set(paths)
    assert Role.GRID_WORKER  # the role codes the menu uses
