"""Issue #19 item 4, menus that fit the role: every entry a role's staff menu shows opens for that
role (no 403, no 404). A grid worker's phone menu keeps the grid, volunteer work, work notices and
the workbench, nothing they cannot use; the citizen portal links only its own public pages."""

from __future__ import annotations

import pytest
from django.test import Client

from fengqiao.core.menu import items_for
from tests.conftest import Org

pytestmark = pytest.mark.django_db

WHO = [
    "grid_worker",
    "handler1",
    "leader1",
    "sub1_dispatcher",
    "dispatcher",
    "supervisor",
    "mediator_user",
    "dept_handler",
]


@pytest.mark.parametrize("who", WHO)
def test_every_menu_entry_opens_for_its_role(org: Org, who: str) -> None:
    user = org.user(who)
    c = Client()
    c.force_login(user)
    entries = items_for({g.role for g in user.role_grants()}, user.is_staff, user)
    assert entries, who
    refused = {}
    for item in entries:
        r = c.get(item["url"], follow=True)
        if r.status_code != 200:
            refused[item["label"]] = r.status_code
    assert not refused, f"{who}: {refused}"


def test_grid_worker_menu_is_the_grid_workers(org: Org) -> None:
    user = org.user("grid_worker")
    keys = [i["key"] for i in items_for({g.role for g in user.role_grants()}, user.is_staff, user)]
    assert {"grid-home", "volunteers"} <= set(keys)
    for not_theirs in ("hotline", "ledger-import", "grid-supervision", "triage-queue", "knowledge", "eval-ranking"):
        assert not_theirs not in keys, keys


def test_portal_links_only_public_pages(org: Org) -> None:
    html = Client().get("/portal/").content.decode()
    assert "/portal/v/" in html and 'href="/staff/' not in html
    html = Client().get("/portal/v/").content.decode()
    assert 'href="/staff/' not in html and "验证手机号" in html
