"""Pages still work under the Content-Security-Policy: no violation is reported by Chromium on the staff
pages, the portal and the API docs, and the scripted parts (Swagger UI, ReDoc, the print button) run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from fengqiao.cases.actions import register_case
from tests.conftest import Org, case_payload

pytestmark = pytest.mark.browser


def _watch(page: Any) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if re.search(r"Content Security Policy|Refused to", m.text) else None,
    )
    return violations


def test_pages_work_under_the_policy(open_session: Any, org: Org) -> None:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    s = open_session()
    violations = _watch(s.page)
    s.login("dispatcher")
    for path in (
        "/staff/workbench/",
        f"/staff/cases/{case.display_code}/",
        "/staff/intake/",
        "/staff/inbox/",
        "/portal/",
        "/portal/submit/",
        f"/portal/t/{case.tracking_secret}/",
    ):
        response = s.goto(path)
        assert response is not None and response.status == 200, path
        directives = {d.strip() for d in response.headers.get("content-security-policy", "").split(";")}
        assert {"default-src 'self'", "script-src 'self'"} <= directives, path
        s.page.wait_for_load_state("networkidle")

    s.goto(f"/staff/cases/{case.display_code}/file/")
    s.page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    s.page.get_by_role("button", name="打印").click()
    expect(s.page.locator("body")).to_have_attribute("data-printed", "yes")  # the handler from print.js ran

    s.goto("/api/docs/")
    expect(s.page.locator(".swagger-ui .info .title")).to_contain_text("Fengqiao API", timeout=30_000)
    s.shot("api-docs-csp", full_page=False)
    s.goto("/api/redoc/")
    expect(s.page.get_by_text("Fengqiao API").first).to_be_visible(timeout=30_000)
    # ReDoc's bundle asks for its own footer logo from its CDN: the policy blocks it, as it should (nothing is
    # fetched from the internet), and the page works without it. Any other violation fails the test.
    assert [v for v in violations if "cdn.redoc.ly" not in v] == []
