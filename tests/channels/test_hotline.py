"""Hotline operator screen: the caller's number leaves the URL, stays in the session, shows that
number's recent cases (masked) and a new case is registered in one submit."""

from __future__ import annotations

import pytest
from django.test import Client

from fengqiao.cases.models import Case
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def test_phone_from_url_goes_to_session_and_shows_recent_cases(org: Org, new_case: Case) -> None:
    c = Client()
    c.force_login(org.user("dispatcher"))
    r = c.get("/staff/hotline/", {"phone": "13812341234"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "138****1234" in html and "13812341234" not in html
    assert new_case.display_code in html
    assert "channels/hotline.js" in html and 'data-clean-url="/staff/hotline/"' in html
    # a reload without the number keeps it (session)
    again = c.get("/staff/hotline/").content.decode()
    assert "138****1234" in again and new_case.display_code in again


def test_register_in_one_submit(org: Org) -> None:
    c = Client()
    c.force_login(org.user("dispatcher"))
    c.get("/staff/hotline/", {"phone": "13700001111"})
    r = c.post("/staff/hotline/", {"description": "小区垃圾长期无人清运，臭味严重。"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.channel == "phone" and case.title.startswith("小区垃圾")
    assert case.parties.get(role="applicant").phone == "13700001111"
    assert "138" not in c.get("/staff/hotline/").content.decode().split("来电人")[1][:200]  # session cleared


def test_bad_input_and_permission(org: Org) -> None:
    c = Client()
    c.force_login(org.user("dispatcher"))
    r = c.post("/staff/hotline/", {"description": "", "phone": "13700001111"})
    assert r.status_code == 400 and Case.objects.count() == 0
    nobody = Client()
    nobody.force_login(org.user("nobody"))
    assert nobody.get("/staff/hotline/?phone=13700001111").status_code == 403
