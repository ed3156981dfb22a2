"""End-to-end tests in Debian's Chromium, driven by Playwright against pytest-django's live server.

Run with ``pytest -m browser tests/browser``; skipped when /usr/bin/chromium is missing. Screenshots
of the main pages are written to docs/screenshots/.
"""

from __future__ import annotations

import atexit
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
PASSWORD = "Fengqiao-test-pw1"  # the org fixture's password (tests/conftest.py)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are ordinary synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

if not os.path.exists(CHROMIUM):  # pragma: no cover - depends on the machine
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

_SHARED: dict[str, Any] = {}


def _shared_browser() -> Browser:
    """One Playwright and one Chromium per process, whichever test module asks first.

    Other test packages import this ``browser`` fixture into their own modules, which makes pytest
    hold several session fixtures at once; two live ``sync_playwright()`` instances in one thread are
    refused ("Sync API inside the asyncio loop"), so they all share this one."""
    if "browser" not in _SHARED:
        pw = sync_playwright().start()
        _SHARED["pw"] = pw
        _SHARED["browser"] = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        atexit.register(_close_shared)
    return _SHARED["browser"]


def _close_shared() -> None:
    try:
        _SHARED["browser"].close()
        _SHARED["pw"].stop()
    except Exception:
        pass


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    yield _shared_browser()


class Session:
    """One person's browser window on the live server."""

    def __init__(self, context: BrowserContext, base_url: str):
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.page.set_default_timeout(15_000)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/staff/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state("networkidle")
        expect(self.page).not_to_have_url(re.compile(r"/staff/login/"))

    def shot(self, name: str, full_page: bool = True) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        if full_page:  # a sticky bar would be painted mid-page in a full-page capture
            self.page.add_style_tag(content=".submit-bar { position: static !important; }")
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def no_horizontal_scroll(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size or DESKTOP
        assert width <= viewport["width"] + 1, f"page is {width}px wide on a {viewport['width']}px screen"


def seed_reference_data() -> None:
    """Live-server tests run in transactions that are flushed afterwards, which also empties the
    rows the data migrations seeded (dispute types, deadline policies, the work calendar): put them
    back. (serialized_rollback cannot do it here: once Playwright's event loop runs in this thread,
    Django's connection handler no longer sees the serialized copy.)"""
    import importlib

    from django.apps import apps

    from fengqiao.cases.models import Category, Domain
    from fengqiao.cases.taxonomy import seed

    if not Category.objects.exists():
        seed(Category, Domain)
    try:
        policies = importlib.import_module("fengqiao.supervision.migrations.0003_seed_calendar_policies")
    except ImportError:  # pragma: no cover - the defaults from settings apply without policies
        return
    if not apps.get_model("supervision", "DeadlinePolicy").objects.exists():
        policies.forwards(apps, None)


@pytest.fixture
def open_session(browser: Browser, live_server: Any, transactional_db: Any) -> Iterator[Any]:
    """open_session(viewport=DESKTOP) → a fresh, signed-out browser window."""
    seed_reference_data()
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] | None = None) -> Session:
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(context)
        return Session(context, live_server.url)

    yield make
    for c in contexts:
        c.close()
