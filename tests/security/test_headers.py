"""Content-Security-Policy on every page, Cache-Control: no-store where personal data may be shown, and
rate limits on the machine doors (issue #12, 9 and the "every door" list)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from fengqiao.cases.models import Case
from tests.conftest import Org, client_for
from tests.helpers import new_case

pytestmark = pytest.mark.django_db


def policy(response: Any) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict_scripts(response: Any) -> None:
    p = policy(response)
    assert p["default-src"] == ["'self'"]
    assert p["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert p["object-src"] == ["'none'"] and p["frame-ancestors"] == ["'none'"]


def staff(org: Org, who: str = "dispatcher") -> Client:
    c = Client()
    c.force_login(org.user(who))
    return c


@pytest.mark.parametrize(
    "url", ["/staff/login/", "/portal/", "/portal/submit/", "/portal/track/", "/api/docs/", "/api/redoc/", "/"]
)
def test_csp_on_public_pages(url: str) -> None:
    r = Client().get(url)
    assert r.status_code == 200
    assert_strict_scripts(r)


def test_csp_on_staff_pages(org: Org) -> None:
    case = new_case(org)
    c = staff(org)
    for url in ("/staff/workbench/", f"/staff/cases/{case.display_code}/", "/staff/intake/", "/staff/inbox/"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert_strict_scripts(r)


def test_api_docs_load_their_script_from_our_origin() -> None:
    page = Client().get("/api/docs/").content.decode()
    assert "<script>" not in page.replace(" ", "")  # the split view: no inline script
    r = Client().get("/api/docs/?script=")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/javascript")
    redoc = Client().get("/api/redoc/").content.decode()
    assert "<script>" not in redoc and "fonts.googleapis.com" not in redoc


def test_no_inline_script_or_handler_in_templates() -> None:
    """What CSP would block must not be written: no inline <script> body and no on…= handler."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "fengqiao"
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*json)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if inline_script.search(text) or handler.search(text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def _no_store(response: Any) -> None:
    assert "no-store" in response["Cache-Control"], response.get("Cache-Control")


def test_no_store_on_pages_and_files_with_personal_data(org: Org) -> None:
    case = new_case(org)
    c = staff(org)
    code = case.display_code
    r = c.post(f"/staff/cases/{code}/reveal/", {"reason": "回访当事人"})
    assert r.status_code in (200, 302)
    for url in (
        f"/staff/cases/{code}/",
        f"/staff/cases/{code}/file/",
        f"/staff/cases/{code}/file.pdf",
        "/staff/ledger/export.xlsx",
        "/staff/workbench/",
    ):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
        _no_store(r)


def test_no_store_on_api_detail_and_reveal(org: Org) -> None:
    case = new_case(org)
    api = client_for(org.user("dispatcher"))
    r = api.get(f"/api/cases/{case.display_code}/")
    assert r.status_code == 200
    _no_store(r)
    r = api.post(f"/api/cases/{case.display_code}/reveal/", {"reason": "回访当事人"}, format="json")
    assert r.status_code in (200, 201), r.content
    _no_store(r)
    assert "138" in r.content.decode()  # the revealed numbers are in this very response


def test_tracking_pages_stay_private(org: Org) -> None:
    case = Case.objects.get(pk=new_case(org).pk)
    r = Client().get(f"/portal/t/{case.tracking_secret}/")
    assert r.status_code == 200
    _no_store(r)
    assert_strict_scripts(r)


@time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("scope", "url"), [("inbound", "/api/v1/inbound/stats"), ("open311", "/open311/v2/services.json")]
)
def test_machine_doors_are_rate_limited(settings: Any, scope: str, url: str) -> None:
    settings.FENGQIAO_RATE_LIMITS = {**settings.FENGQIAO_RATE_LIMITS, scope: "2/minute"}
    c = Client()
    first = [c.get(url).status_code for _ in range(2)]
    assert 429 not in first
    r = c.get(url, HTTP_X_FORWARDED_FOR="192.0.2.44")  # a forged address is the same client
    assert r.status_code == 429
    assert r.json()["code"] == "throttled" and "频繁" in r.json()["detail"]
    assert int(r["Retry-After"]) >= 1
