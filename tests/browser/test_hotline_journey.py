"""The hotline screen in a real browser: the caller's number leaves the address bar at once, a
reload keeps the caller, Ctrl+Enter registers the case."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from fengqiao.cases.models import Case
from tests.conftest import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_number_leaves_the_url_and_ctrl_enter_registers(org: Org, open_session: Any) -> None:
    s = open_session()
    s.login("dispatcher")
    s.goto("/staff/hotline/?phone=13700002222")
    assert s.page.url.endswith("/staff/hotline/")  # history.replaceState ran
    assert "13700002222" not in s.page.evaluate("window.location.href")
    expect(s.page.get_by_text("137****2222")).to_be_visible()
    s.page.reload()
    expect(s.page.get_by_text("137****2222")).to_be_visible()
    s.page.locator("#hl-description").fill("楼上住户深夜噪音，影响休息。")
    s.page.keyboard.press("Control+Enter")
    expect(s.page.get_by_text("已登记")).to_be_visible(timeout=30_000)  # the first triage loads the classifier
    case = Case.objects.get()
    assert case.parties.get(role="applicant").phone == "13700002222"
