"""The sixteen inputs that used to answer 500 (issue #12, item 3): each is now a 4xx with a plain
Chinese message, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.core.models import AuditEntry
from tests.conftest import Org, case_payload, client_for
from tests.helpers import new_case

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJ = '{"a":' * 50_000 + "1" + "}" * 50_000


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _signed_in(org: Org, who: str = "dispatcher") -> Client:
    c = Client()
    c.force_login(org.user(who))
    return c


def _counts() -> tuple[int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count()


def _assert_api_400(r: Any) -> dict[str, Any]:
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert _chinese(json.dumps(body, ensure_ascii=False)), body
    return body


# --- deeply nested JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", [DEEP, DEEP_OBJ], ids=["array", "object"])
def test_nested_json_on_the_unauthenticated_token_endpoint(payload: str, org: Org) -> None:
    r = APIClient().post("/api/token/", payload, content_type="application/json")
    body = _assert_api_400(r)
    assert "嵌套" in body["detail"]


@pytest.mark.parametrize("path", ["/api/cases/", "/api/cases/{code}/actions/note/", "/api/cases/{code}/reveal/"])
def test_nested_json_on_drf_endpoints(path: str, org: Org) -> None:
    case = new_case(org)
    before = _counts()
    r = client_for(org.user("dispatcher")).post(path.format(code=case.code), DEEP, content_type="application/json")
    body = _assert_api_400(r)
    assert "嵌套" in body["detail"]
    assert _counts() == before


@pytest.mark.parametrize("guard", [True, False], ids=["middleware", "view"])
def test_nested_json_on_the_phone_lookup(guard: bool, org: Org, settings: Any) -> None:
    if not guard:  # the view's own parsing holds without the door's guard too
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("InputGuardMiddleware")]
    r = _signed_in(org).post(reverse("web:lookup_phone"), DEEP, content_type="application/json")
    assert r.status_code == 400
    assert "嵌套" in json.dumps(r.json(), ensure_ascii=False)
    assert not AuditEntry.objects.filter(action="pii.lookup").exists()


def test_nested_json_on_drf_without_the_guard(org: Org, settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("InputGuardMiddleware")]
    r = client_for(org.user("dispatcher")).post("/api/cases/", DEEP, content_type="application/json")
    assert "嵌套" in _assert_api_400(r)["detail"]


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    from fengqiao.core import inputcheck

    assert inputcheck.json_depth('{"a": "[[[[[[", "b": [1, {"c": "\\"}]}') == 3
    assert inputcheck.loads('{"a": [1, 2]}') == {"a": [1, 2]}
    with pytest.raises(inputcheck.JSONInputError, match="嵌套"):
        inputcheck.loads("[" * 40 + "]" * 40)
    with pytest.raises(inputcheck.JSONInputError, match="第 1 行"):
        inputcheck.loads('{"a": ')


# --- NUL and control characters in the case inputs ----------------------------------------------


@pytest.mark.parametrize("field", ["category", "domain"])
def test_nul_in_category_or_domain_on_creation(field: str, org: Org) -> None:
    before = _counts()
    data = case_payload(org, **{field: "02\x0001"})
    r = client_for(org.user("dispatcher")).post("/api/cases/", data, format="json")
    body = _assert_api_400(r)
    assert field in body["errors"] and "控制字符" in str(body["errors"][field])
    assert _counts() == before


@pytest.mark.parametrize("field", ["category", "domain"])
def test_nul_in_category_or_domain_on_update(field: str, org: Org) -> None:
    case = new_case(org)
    before, version = _counts(), case.version  # registered, then triaged
    r = client_for(org.user("dispatcher")).post(
        f"/api/cases/{case.code}/actions/update/", {field: "\x00"}, format="json"
    )
    body = _assert_api_400(r)
    assert "控制字符" in str(body["errors"][field])
    assert _counts() == before
    case.refresh_from_db()
    assert case.version == version


def test_control_characters_in_a_description_are_refused(org: Org) -> None:
    before = _counts()
    data = case_payload(org, description="正常文字\x0b垂直制表\x1b[31m")
    r = client_for(org.user("dispatcher")).post("/api/cases/", data, format="json")
    body = _assert_api_400(r)
    assert "控制字符" in str(body["errors"]["description"])
    assert _counts() == before
    # Line breaks and tabs stay welcome in free text.
    ok = client_for(org.user("dispatcher")).post(
        "/api/cases/", case_payload(org, description="第一行\r\n第二行\t缩进"), format="json"
    )
    assert ok.status_code == 201, ok.content


def test_nul_in_a_party_name_names_the_nested_field(org: Org) -> None:
    data = case_payload(org)
    data["parties"][0]["name"] = "王\x00小明"
    r = client_for(org.user("dispatcher")).post("/api/cases/", data, format="json")
    body = _assert_api_400(r)
    assert "parties" in body["errors"]


# --- NUL in query strings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["portal:posters", "web:lookup_address", "web:lookup_mediators", "web:workbench", "channels:ledger_export"]
)
def test_nul_in_q(url: str, org: Org) -> None:
    r = _signed_in(org).get(reverse(url), {"q": "白\x00塔"})
    assert r.status_code == 400, (url, r.status_code)
    assert "控制字符" in r.content.decode()


def test_nul_in_q_on_the_api(org: Org) -> None:
    r = client_for(org.user("dispatcher")).get("/api/cases/", {"q": "\x00"})
    body = _assert_api_400(r)
    assert "控制字符" in body["detail"]


# --- absurd dates -------------------------------------------------------------------------------


def test_created_before_far_future_on_the_api(org: Org) -> None:
    r = client_for(org.user("dispatcher")).get("/api/cases/", {"created_before": "9999-12-31"})
    body = _assert_api_400(r)
    assert "created_before" in body
    assert "日期" in str(body["created_before"])
    ok = client_for(org.user("dispatcher")).get("/api/cases/", {"created_before": "2026-12-31"})
    assert ok.status_code == 200


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_created_before_far_future_on_workbench_and_export(value: str, org: Org) -> None:
    c = _signed_in(org)
    r = c.get(reverse("web:workbench"), {"created_before": value})
    assert r.status_code in (200, 400)
    assert "日期" in r.content.decode()
    assert "9999" not in r.content.decode() or r.status_code == 200
    r = c.get(reverse("channels:ledger_export"), {"created_before": value})
    assert r.status_code == 400
    assert "日期" in r.content.decode()
    r = c.get(reverse("channels:ledger_export"), {"created_after": value})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00+99:00", "2026-01-01T00:00:00-24:00", "9999-12-31T23:59:59+00:00"]
)
def test_open311_absurd_dates(value: str, org: Org) -> None:
    r = Client().get("/open311/v2/requests.json", {"start_date": value})
    assert r.status_code == 400, r.content
    assert _chinese(r.content.decode())
    r = Client().get("/open311/v2/requests.json", {"end_date": value})
    assert r.status_code == 400
    ok = Client().get("/open311/v2/requests.json", {"start_date": "2026-01-01T00:00:00+08:00"})
    assert ok.status_code == 200
