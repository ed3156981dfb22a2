"""The desk pages are written with Chinese msgids; the English catalogue translates them."""

from __future__ import annotations

from pathlib import Path

import pytest

import fengqiao
from tests.conftest import Org
from tests.web.conftest import signed_in


def test_pages_follow_the_browser_language(org: Org) -> None:
    """Chinese msgids, an English catalogue: with Accept-Language en the desk pages read in English."""
    if not (Path(fengqiao.__file__).parent / "locale/en/LC_MESSAGES/django.mo").exists():
        pytest.skip("catalogue not compiled (make messages)")
    c = signed_in(org.user("handler1"))
    body = c.get("/staff/workbench/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My tasks" in body and "Filter and search" in body
    body = c.get("/staff/workbench/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的任务" in body
