"""The case REST API: creation (idempotent), ETag / If-Match, the timeline, revealing personal data,
the OpenAPI schema and docs, and refusing bad input without writing anything."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
import yaml
from django.utils import timezone, translation
from django.utils.translation import gettext

from fengqiao.api.models import IdempotencyRecord
from fengqiao.cases.actions import perform
from fengqiao.cases.events import event_label
from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.cases.workflow import State
from fengqiao.core import crypto
from fengqiao.core.models import AuditEntry
from tests.conftest import Org, case_payload, client_for
from tests.helpers import case_in_state, new_case, world_snapshot

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13812341234", "11010519491231002X"
CJK = re.compile(r"[\u4e00-\u9fff]")


def counts() -> tuple[int, int, int, int, int]:
    return (
        Case.objects.count(),
        Party.objects.count(),
        CaseEvent.objects.count(),
        AuditEntry.objects.count(),
        IdempotencyRecord.objects.count(),
    )


def post_case(client: Any, payload: dict[str, Any], **headers: str) -> Any:
    return client.post("/api/cases/", payload, format="json", headers=headers)


# --------------------------------------------------------------------------------------------
# creation


def test_create_returns_201_location_etag_and_masked_parties(org: Org) -> None:
    response = post_case(client_for(org.user("dispatcher")), case_payload(org))
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(code=body["code"])
    assert response["Location"] == f"/api/cases/{case.code}/"
    # the current version: 2 here, where triage (its own step after the commit) ran at once
    assert response["ETag"] == f'"{case.code}-v{case.version}"'
    assert body["state"] == State.REGISTERED and body["version"] == case.version
    assert body["owner_unit"]["id"] == org.sub1.pk
    applicant = next(p for p in body["parties"] if p["role"] == "applicant")
    assert applicant["phone"] == "138****1234"
    assert applicant["id_number"] == crypto.mask_id_number(ID_NUMBER)
    assert applicant["id_number"].startswith("110105") and "19491231" not in applicant["id_number"]
    assert applicant["name"] == "王*明"
    raw = response.content.decode()
    assert PHONE not in raw and ID_NUMBER not in raw and "王小明" not in raw
    # The Location answers with the same case.
    detail = client_for(org.user("dispatcher")).get(response["Location"])
    assert detail.status_code == 200 and detail.json()["code"] == case.code
    assert case.events.get(code="case.register").via == "api"


def test_idempotency_key_replays_the_first_response(org: Org) -> None:
    client = client_for(org.user("dispatcher"))
    first = post_case(client, case_payload(org), **{"Idempotency-Key": "req-0001"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    before = counts()
    for _ in range(3):  # a client retrying after time-outs
        again = post_case(client, case_payload(org), **{"Idempotency-Key": "req-0001"})
        assert again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert again.json()["code"] == first.json()["code"]
        assert again["Location"] == first["Location"]
    assert counts() == before
    assert Case.objects.filter(title=case_payload(org)["title"]).count() == 1


def test_idempotency_key_with_another_payload_is_422_and_writes_nothing(org: Org) -> None:
    client = client_for(org.user("dispatcher"))
    assert post_case(client, case_payload(org), **{"Idempotency-Key": "req-0002"}).status_code == 201
    before = counts()
    other = post_case(client, case_payload(org, title="另一件事"), **{"Idempotency-Key": "req-0002"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_conflict"
    assert counts() == before


def test_idempotency_keys_belong_to_their_user(org: Org) -> None:
    a = post_case(client_for(org.user("dispatcher")), case_payload(org), **{"Idempotency-Key": "shared"})
    b = post_case(client_for(org.user("handler1")), case_payload(org), **{"Idempotency-Key": "shared"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["code"] != b.json()["code"]


def test_a_failed_request_does_not_burn_its_key(org: Org) -> None:
    client = client_for(org.user("dispatcher"))
    before = counts()
    bad = post_case(client, case_payload(org, title=""), **{"Idempotency-Key": "req-0003"})
    assert bad.status_code == 400
    assert counts() == before
    good = post_case(client, case_payload(org), **{"Idempotency-Key": "req-0003"})
    assert good.status_code == 201
    assert post_case(client, case_payload(org), **{"Idempotency-Key": "req-0003"}).json()["code"] == good.json()["code"]
    assert Case.objects.count() == before[0] + 1


def test_overlong_idempotency_key_is_400(org: Org) -> None:
    before = counts()
    response = post_case(client_for(org.user("dispatcher")), case_payload(org), **{"Idempotency-Key": "k" * 101})
    assert response.status_code == 400
    assert counts() == before


def test_external_reference_dedup_does_not_leak_other_units_cases(org: Org) -> None:
    """A repeated (source system, external ref) returns the existing case — but only to someone
    who may see it; anyone else must not learn its content by guessing a reference."""
    payload = case_payload(org, source_system="12345", external_ref="HL-2025-000123", title="城中村违建")
    first = post_case(client_for(org.user("dispatcher")), payload)
    assert first.status_code == 201
    again = post_case(client_for(org.user("handler1")), payload)  # town1: may see it
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"]

    before = counts()
    outsider = post_case(
        client_for(org.user("handler2")), case_payload(org, **{**payload, "location_unit": org.village2.pk})
    )
    assert outsider.status_code in (403, 409), outsider.content
    text = outsider.content.decode()
    assert first.json()["code"] not in text and "城中村违建" not in text
    assert counts() == before


# --------------------------------------------------------------------------------------------
# ETag / If-Match


def test_if_match_current_etag_succeeds_and_returns_the_new_one(org: Org) -> None:
    case = new_case(org)
    client = client_for(org.user("handler1"))
    tag = client.get(f"/api/cases/{case.code}/")["ETag"]
    assert tag == f'"{case.code}-v2"'  # registered (v1), triaged (v2)
    response = client.post(f"/api/cases/{case.code}/actions/accept/", {}, format="json", headers={"If-Match": tag})
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{case.code}-v3"'
    body = response.json()
    assert body["case"]["state"] == State.ACCEPTED and body["case"]["version"] == 3
    assert body["event"]["code"] == "case.accept" and body["event"]["version"] == 3
    assert client.get(f"/api/cases/{case.code}/")["ETag"] == response["ETag"]
    # A weak validator of the current version matches too.
    weak = client.post(
        f"/api/cases/{case.code}/actions/note/",
        {"text": "进展"},
        format="json",
        headers={"If-Match": f"W/{response['ETag']}"},
    )
    assert weak.status_code == 200


@pytest.mark.parametrize("header", ['"{code}-v1"', '"{code}-v99"', '"{code}-vX"', '"OTHER-v2"', "garbage"])
def test_if_match_stale_or_foreign_is_412_and_changes_nothing(org: Org, header: str) -> None:
    case = new_case(org)
    perform("note", case, org.actor("handler1"), {"text": "v2"})
    before = world_snapshot(case)
    response = client_for(org.user("handler1")).post(
        f"/api/cases/{case.code}/actions/accept/",
        {},
        format="json",
        headers={"If-Match": header.format(code=case.code)},
    )
    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    assert world_snapshot(case) == before


def test_action_errors_map_to_status_codes(org: Org) -> None:
    case = new_case(org)
    client = client_for(org.user("handler1"))
    before = world_snapshot(case)
    response = client.post(f"/api/cases/{case.code}/actions/close/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    response = client.post(f"/api/cases/{case.code}/actions/transfer/", {"unit": org.dept.pk}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert world_snapshot(case) == before


# --------------------------------------------------------------------------------------------
# timeline


def test_timeline_lists_events_in_order_with_labels(org: Org) -> None:
    case = new_case(org)
    perform("accept", case, org.actor("handler1"))
    perform("assign_person", case, org.actor("sub1_dispatcher"), {"handler": org.user("handler1").pk})
    perform("note", case, org.actor("leader1"), {"text": "请加快"})
    response = client_for(org.user("handler1")).get(f"/api/cases/{case.code}/timeline/")
    assert response.status_code == 200
    events = response.json()
    codes = ["case.register", "case.triage", "case.accept", "case.assign_person", "case.note"]
    assert [e["code"] for e in events] == codes
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["label"] for e in events] == [event_label(c) for c in codes]
    assert events[1]["label"] == "分流完成" and events[2]["label"] == "接收受理"
    assert [e["state_after"] for e in events] == ["registered", "registered", "accepted", "in_progress", "in_progress"]
    assert events[3]["actor_unit"] == org.town1.name
    assert events[4]["reason"] == "请加快"
    with translation.override("en"):
        english = gettext("接收受理")
    en = client_for(org.user("handler1")).get(f"/api/cases/{case.code}/timeline/", headers={"Accept-Language": "en"})
    assert en.json()[2]["label"] == english, "labels are rendered in the reader's language"


# --------------------------------------------------------------------------------------------
# revealing personal data


def _applicant(parties: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in parties if p["role"] == "applicant")


def test_reveal_needs_a_reason_is_audited_and_expires(org: Org) -> None:
    case = new_case(org)
    client = client_for(org.user("handler1"))
    url = f"/api/cases/{case.code}/reveal/"
    audit_before = AuditEntry.objects.count()
    for body in ({}, {"reason": ""}, {"reason": "看"}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        assert "reason" in json.dumps(response.json())
    assert AuditEntry.objects.count() == audit_before

    now = timezone.now()
    with time_machine.travel(now, tick=False):
        response = client.post(url, {"reason": "电话联系当事人核实情况"}, format="json")
        assert response.status_code == 200, response.content
        applicant = _applicant(response.json()["parties"])
        assert (applicant["phone"], applicant["id_number"], applicant["name"]) == (PHONE, ID_NUMBER, "王小明")
        entry = AuditEntry.objects.order_by("-id").first()
        assert (entry.action, entry.result, entry.user, entry.object_id) == (
            "pii.reveal",
            "ok",
            org.user("handler1"),
            str(case.pk),
        )
        assert entry.detail == {"reason": "电话联系当事人核实情况"}
        detail = _applicant(client.get(f"/api/cases/{case.code}/").json()["parties"])
        assert detail["phone"] == PHONE and detail["id_number"] == ID_NUMBER
        # The grant is personal: another user still sees masked data.
        other = _applicant(client_for(org.user("sub1_dispatcher")).get(f"/api/cases/{case.code}/").json()["parties"])
        assert other["phone"] == "138****1234"

    with time_machine.travel(now + dt.timedelta(minutes=9, seconds=59), tick=False):
        assert _applicant(client.get(f"/api/cases/{case.code}/").json()["parties"])["phone"] == PHONE
    with time_machine.travel(now + dt.timedelta(minutes=10, seconds=1), tick=False):
        masked = _applicant(client.get(f"/api/cases/{case.code}/").json()["parties"])
        assert masked["phone"] == "138****1234"
        assert masked["id_number"] == crypto.mask_id_number(ID_NUMBER)


def test_reveal_refused_without_any_duty_on_the_case_is_audited(org: Org) -> None:
    case = case_in_state(org, State.ARCHIVED)
    response = client_for(org.user("handler1")).post(
        f"/api/cases/{case.code}/reveal/", {"reason": "想看看情况"}, format="json"
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.result) == ("pii.reveal", "denied")
    assert PHONE not in response.content.decode()
    # Leaders may reveal for supervision.
    ok = client_for(org.user("county_leader")).post(
        f"/api/cases/{case.code}/reveal/", {"reason": "督办核查"}, format="json"
    )
    assert ok.status_code == 200


def test_reveal_out_of_scope_is_404(org: Org) -> None:
    case = new_case(org)
    audit_before = AuditEntry.objects.count()
    response = client_for(org.user("handler2")).post(
        f"/api/cases/{case.code}/reveal/", {"reason": "核实情况"}, format="json"
    )
    assert response.status_code == 404
    assert AuditEntry.objects.count() == audit_before


# --------------------------------------------------------------------------------------------
# schema and docs


def test_openapi_schema_yaml_and_json(org: Org) -> None:
    client = client_for(org.user("dispatcher"))
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/cases/{code}/actions/{name}/" in schema["paths"]
    assert "post" in schema["paths"]["/api/cases/{code}/actions/{name}/"]
    assert "/api/cases/" in schema["paths"]
    as_json = client.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert json.loads(as_json.content)["paths"].keys() == schema["paths"].keys()


def test_api_docs_use_no_external_cdn(org: Org) -> None:
    response = client_for(org.user("dispatcher")).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    sources = re.findall(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)""", html, re.I)
    assert sources, "the page loads its assets"
    assert not [s for s in sources if re.match(r"(https?:)?//", s)], sources
    assert not re.search(r"""src\s*=\s*["']https://""", html)


# --------------------------------------------------------------------------------------------
# bad input


def _parties(**changes: Any) -> list[dict[str, Any]]:
    applicant = {"role": "applicant", "name": "王小明", "phone": PHONE, "id_number": ID_NUMBER}
    return [{**applicant, **changes}]


BAD_INPUT: list[tuple[str, dict[str, Any], list[str]]] = [
    ("missing-title", {"title": None}, ["title"]),
    ("long-title", {"title": "长" * 101}, ["title"]),
    ("invalid-phone", {"parties": _parties(phone="12345")}, ["parties", 0, "phone"]),
    ("id-checksum", {"parties": _parties(id_number="110105194912310021")}, ["parties", 0, "id_number"]),
    ("id-birthdate", {"parties": _parties(id_number="110105194913310024")}, ["parties", 0, "id_number"]),
    ("unknown-unit", {"location_unit": 999999}, ["location_unit"]),
    ("unknown-owner", {"owner_unit": 999999}, ["owner_unit"]),
    ("unknown-category", {"category": "9999"}, ["category"]),
    ("top-level-category", {"category": "02"}, ["category"]),
    ("unknown-channel", {"channel": "pigeon"}, ["channel"]),
    ("people-count-type", {"people_count": "many"}, ["people_count"]),
    ("unit-type", {"location_unit": "白塔村"}, ["location_unit"]),
    ("parties-type", {"parties": "王小明"}, ["parties", "non_field_errors"]),
    ("lat-range", {"lat": 123.0}, ["lat"]),
    ("no-applicant", {"parties": [{"role": "respondent", "name": "李大年"}]}, ["parties"]),
]

# Our own message for each error (None: DRF's built-in message).
OWN_MESSAGE = {
    "invalid-phone": "请输入有效的手机号码（11位）或固定电话（区号-号码）。",
    "id-checksum": "身份证号码校验位不正确。",
    "id-birthdate": "身份证号码中的出生日期无效。",
    "unknown-unit": "单位 999999 不存在。",
    "unknown-category": "纠纷类型 9999 不存在。",
    "top-level-category": "请选择二级纠纷类型。",
    "no-applicant": "非匿名反映须填写申请人。",
}


def _payload(org: Org, changes: dict[str, Any]) -> dict[str, Any]:
    payload = case_payload(org, **changes)
    return {k: v for k, v in payload.items() if v is not None}


def _dig(errors: Any, path: list[Any]) -> list[str]:
    for key in path:
        # Errors of a list of nested inputs: a list, or (DRF ≥ 3.15) a dict keyed by the item's index.
        errors = errors[key] if isinstance(errors, list) or not isinstance(key, int) else errors[str(key)]
    assert isinstance(errors, list) and errors, errors
    return [str(e) for e in errors]


def _translated(message: str) -> bool:
    with translation.override("en"):
        return gettext(message) != message


@pytest.mark.parametrize(("name", "changes", "path"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_400_with_field_errors_and_writes_nothing(
    org: Org, name: str, changes: dict[str, Any], path: list[Any]
) -> None:
    client = client_for(org.user("dispatcher"))
    before = counts()
    response = post_case(client, _payload(org, changes))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    messages = _dig(body["errors"], path)
    assert all(CJK.search(m) for m in messages), f"Chinese by default: {messages}"
    if name in OWN_MESSAGE:
        assert OWN_MESSAGE[name] in messages
    if name == "missing-title":
        assert messages == ["该字段是必填项。"]
    assert counts() == before

    english = post_case(client, _payload(org, changes), **{"Accept-Language": "en"})
    assert english.status_code == 400
    messages = _dig(english.json()["errors"], path)
    if name == "missing-title":
        assert messages == ["This field is required."]
    elif name in OWN_MESSAGE and _translated(OWN_MESSAGE[name]):
        assert not any(CJK.search(m) for m in messages), messages
    assert counts() == before
