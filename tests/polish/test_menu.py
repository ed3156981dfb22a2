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
from fengqiao.org.otp import otp_required
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


def test_grouped_keeps_order_and_shows_a_lone_entry_on_its_own() -> None:
    from fengqiao.core.menu import grouped

    entries = [
        {"key": "a", "label": "工作台", "url": "/a/", "group": ""},
        {"key": "b", "label": "分流待办", "url": "/b/", "group": "handle"},
        {"key": "c", "label": "调解日程", "url": "/c/", "group": "handle"},
        {"key": "d", "label": "一张图", "url": "/d/", "group": "situation"},
    ]
    shape = grouped(entries)
    assert shape[0] == {"label": "工作台", "url": "/a/"}
    assert shape[1]["label"] == "办理" and [i["url"] for i in shape[1]["entries"]] == ["/b/", "/c/"]
    assert shape[2] == {"label": "一张图", "url": "/d/"}  # the only visible entry of its group
    assert len(shape) == 3


def test_unknown_group_is_refused() -> None:
    from fengqiao.core.menu import MenuItem

    with pytest.raises(ValueError):
        MenuItem("x", "x", "web:workbench", group="nowhere")


@pytest.mark.parametrize("who", ["dispatcher", "county_leader"])
def test_header_stays_short_for_the_widest_roles(org: Org, who: str) -> None:
    """The county's widest menus (about thirty pages) fit one header line: at most ten top-level
    entries, every page still reachable through its group."""
    c = _client(org.user(who))
    page = c.get("/staff/inbox/").content.decode()
    nav = NAV.search(page)
    assert nav
    html = nav.group(1)
    top = re.sub(r"<details.*?</details>", "<details/>", html, flags=re.S)
    top_level = len(re.findall(r"<a |<details/>", top))
    user = org.user(who)
    flat = items_for({g.role for g in user.role_grants()}, user.is_staff, user)
    assert len(flat) > 10  # the menu really is wide...
    assert top_level <= 10  # ...and the header is not
    assert "<summary" in html
