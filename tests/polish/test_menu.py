"""Item 12: each role's menu offers only pages that answer it 200, and the pages a role may not use
(a grid worker's 热线坐席 and 台账导入) are neither in its menu nor open to it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core.menu import items_for
from fengqiao.org.models import User
from fengqiao.web.otp import otp_required
from tests.conftest import Org

NAV = re.compile(r'<nav aria-label="主导航">(.*?)</nav>', re.S)


def _client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    if otp_required(user):  # administrators: signed in with their second factor
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return c


def _menu(c: Client) -> list[str]:
    page = c.get("/staff/inbox/")
    assert page.status_code == 200
    found = NAV.search(page.content.decode())
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize(
    "who",
    [
        "dispatcher",
        "sub1_dispatcher",
        "handler1",
        "dept_handler",
        "grid_worker",
        "mediator_user",
        "leader1",
        "county_leader",
        "supervisor",
        "taskforce_handler",
        "sysadmin",
        "nobody",
    ],
)
def test_every_menu_entry_answers_200(org: Org, who: str) -> None:
    user = org.user(who)
    c = _client(user)
    links = _menu(c)
    expected = [i["url"] for i in items_for({g.role for g in user.role_grants()}, user.is_staff, user)]
    assert links == expected
    for url in links:
        r = c.get(url)
        assert r.status_code == 200, f"{who}: {url} answered {r.status_code}"


def test_grid_worker_neither_sees_nor_opens_the_hotline_or_ledger_import(org: Org) -> None:
    c = _client(org.user("grid_worker"))
    links = _menu(c)
    assert "/staff/hotline/" not in links and "/staff/ledger/import/" not in links
    assert "/staff/intake/" in links  # a grid worker does register what they find
    assert c.get("/staff/hotline/").status_code == 403
    assert c.get("/staff/ledger/import/").status_code == 403
    assert c.get("/staff/triage/queue/").status_code == 403
