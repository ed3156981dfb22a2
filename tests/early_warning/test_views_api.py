"""Pages, API and the ``warn`` command: scoped, masked, Chinese, errors under their field."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from fengqiao.early_warning.models import Status, Warning
from tests.conftest import client_for
from tests.early_warning.helpers import fresh_phone, make_case, run_only


@pytest.fixture
def repeat_warning(org):
    phone = fresh_phone()
    for d in (30, 10, 2):
        make_case(org, d, phone=phone, channel="walk_in" if d > 5 else "phone")
    return run_only("person_repeat").raised[0]


def page(user, url):
    c = Client()
    c.force_login(user)
    return c, c.get(url)


def test_list_and_detail_scoped_and_masked(org, repeat_warning):
    c, r = page(org.user("leader1"), reverse("early_warning:list"))
    body = r.content.decode()
    assert r.status_code == 200 and "重复反映人员" in body and "蓝色预警" in body
    r = c.get(reverse("early_warning:detail", args=[repeat_warning.pk]))
    body = r.content.decode()
    assert r.status_code == 200
    assert "整体画像" in body and "王*明" in body and "13812341234" not in body
    for raw in ("person_repeat", "issued", "walk_in", "None"):
        assert raw not in body  # labels, never raw codes
    _, r = page(org.user("handler2"), reverse("early_warning:detail", args=[repeat_warning.pk]))
    assert r.status_code == 404
    _, r = page(org.user("grid_worker"), reverse("early_warning:list"))
    assert r.status_code == 403


def test_dismiss_without_reason_shows_error_under_field(org, repeat_warning):
    c = Client()
    c.force_login(org.user("leader1"))
    r = c.post(reverse("early_warning:act", args=[repeat_warning.pk, "dismiss"]), {"reason": ""})
    assert r.status_code == 400
    assert 'id="err-dismiss-reason"' in r.content.decode() and "请填写排除理由" in r.content.decode()
    repeat_warning.refresh_from_db()
    assert repeat_warning.status == Status.ISSUED
    r = c.post(reverse("early_warning:act", args=[repeat_warning.pk, "dismiss"]), {"reason": "重复登记"})
    assert r.status_code == 302
    repeat_warning.refresh_from_db()
    assert repeat_warning.status == Status.DISMISSED


def test_api_list_detail_action(org, repeat_warning):
    api = client_for(org.user("sub1_dispatcher"))
    r = api.get("/api/warnings/?status=open")
    assert r.status_code == 200 and r.json()["count"] == 1
    item = r.json()["results"][0]
    assert item["model"] == "person_repeat" and item["level_label"].endswith("预警") and "assign" in item["actions"]
    r = api.post(f"/api/warnings/{repeat_warning.pk}/assign/", {"unit": org.sub1.pk}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "assigned"
    r = api.post(f"/api/warnings/{repeat_warning.pk}/close/", {"summary": "x"}, format="json")
    assert r.status_code == 409
    other = client_for(org.user("handler2"))
    assert other.get(f"/api/warnings/{repeat_warning.pk}/").status_code == 404
    assert other.get("/api/warnings/").json()["count"] == 0


def test_openapi_schema_lists_warning_endpoints(org):
    api = client_for(org.user("dispatcher"))
    r = api.get("/api/schema/")
    if r.status_code == 404:
        pytest.skip("schema served elsewhere")
    assert b"/api/warnings/{id}/{name}/" in r.content or b"/api/warnings/{pk}/{name}/" in r.content


def test_warn_command_json_and_rerun_raises_nothing(org):
    phone = fresh_phone()
    for d in (30, 10, 2):
        make_case(org, d, phone=phone)
    out = StringIO()
    call_command("warn", "--json", stdout=out)
    first = json.loads(out.getvalue())
    assert set(first) == {"raised", "updated", "closed"}
    repeat = [w for w in first["raised"] if w["model"] == "person_repeat"]
    assert repeat and repeat[0]["level"] == "blue" and repeat[0]["unit"] and len(repeat[0]["evidence"]["cases"]) == 3
    out = StringIO()
    call_command("warn", "--json", stdout=out)
    again = json.loads(out.getvalue())
    assert again["raised"] == [] and again["updated"] == []
    assert Warning.objects.filter(model__code="person_repeat").count() == 1


def test_incremental_run_touches_only_new_cases(org):
    from fengqiao.early_warning.engine import run

    phone = fresh_phone()
    for d in (30, 10):
        make_case(org, d, phone=phone)
    first = run(full=True)
    assert not [w for w in first.raised if w.model.code == "person_repeat"]
    make_case(org, 1, phone=phone)
    inc = run(full=False)
    assert not inc.full and inc.new_cases == 1
    assert [w.model.code for w in inc.raised if w.model.code == "person_repeat"] == ["person_repeat"]
    nothing = run(full=False)
    assert nothing.new_cases == 0 and not nothing.raised


def test_case_page_panel_lists_similar_closed_cases(org):
    from tests.early_warning.helpers import close_case

    text = "小区物业公司乱收停车费，业主委员会多次交涉无果，要求公开收费依据"
    old = make_case(org, 30, text=text)
    close_case(org, old, 25)
    new = make_case(org, 1, text=text + "，再次反映")
    c = Client()
    c.force_login(org.user("leader1"))
    r = c.get(reverse("web:case", args=[new.display_code]))
    body = r.content.decode()
    assert "相似已结案件及处理方式" in body and old.display_code in body and "达成协议" in body
    assert "作为每月一题立题" in body


def test_pages_render_for_analysts(org, repeat_warning):
    for name in ("clusters", "trends", "problems", "notices", "problem_new"):
        _, r = page(org.user("county_leader"), reverse(f"early_warning:{name}"))
        assert r.status_code == 200, name
        assert "Traceback" not in r.content.decode()
    _, r = page(org.user("handler1"), reverse("early_warning:trends"))
    assert r.status_code == 403
