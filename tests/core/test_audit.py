"""The hash-chained audit log: what is recorded, that no personal data gets in, and that every kind
of tampering (edit, delete, insert, truncate) is found and named.

On PostgreSQL a trigger refuses UPDATE and DELETE on ``core_auditentry``; the tampering tests play
an attacker with superuser rights who switches triggers off (``session_replication_role``).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory

from fengqiao.cases.actions import perform
from fengqiao.core import audit
from fengqiao.core.audit import GENESIS, compute_hash, verify_chain
from fengqiao.core.context import request_context
from fengqiao.core.logging import RedactPersonalDataFilter, redact
from fengqiao.core.models import AuditEntry, AuditHead
from fengqiao.org.choices import Role
from fengqiao.org.models import RoleAssignment
from tests.conftest import Org, case_payload, client_for
from tests.helpers import new_case

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER, PASSWORD = "13812341234", "11010519491231002X", "Fengqiao-test-pw1"
PII = ["13812341234", "13900001111", "13700002222", "11010519491231002X", "330124198506150014"]


def last() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None
    return entry


@contextmanager
def triggers_off() -> Iterator[Any]:
    """A cursor that may change audit rows: on PostgreSQL as a superuser with triggers disabled."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = replica")
        try:
            yield cur
        finally:
            if connection.vendor == "postgresql":
                cur.execute("SET session_replication_role = DEFAULT")


def json_param() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def make_history(org: Org, n_notes: int = 4) -> None:
    case = new_case(org)
    for i in range(n_notes):
        perform("note", case, org.actor("handler1"), {"text": f"进展 {i}"})
    audit.chain_pending()  # the background step ran before the attacker comes


# --------------------------------------------------------------------------------------------
# what is recorded


def test_login_success_failure_and_logout_are_audited(org: Org) -> None:
    """Through Django's auth signals, whichever sign-in page calls ``authenticate``/``login``."""
    user = org.user("handler1")
    request = RequestFactory().post("/staff/login/")
    with request_context("0123456789abcdef", "10.1.2.3"):  # what RequestIdMiddleware sets
        assert authenticate(request, username="handler1", password="wrong-password") is None
    failed = last()
    assert (failed.action, failed.result, failed.username, failed.user) == ("auth.login", "denied", "handler1", None)
    assert (failed.ip, failed.request_id) == ("10.1.2.3", "0123456789abcdef")
    assert "wrong-password" not in json.dumps(failed.detail)

    client = Client()
    assert client.login(request=RequestFactory().post("/staff/login/"), username="handler1", password=PASSWORD)
    ok = last()
    assert (ok.action, ok.result, ok.user, ok.username) == ("auth.login", "ok", user, "handler1")
    assert ok.object_type == "org.user" and ok.object_id == str(user.pk)

    client.logout()
    assert (last().action, last().user) == ("auth.logout", user)
    assert verify_chain()[1] is None


def test_authenticate_failure_with_a_request_is_audited(org: Org) -> None:
    request = RequestFactory().post("/admin/login/")
    before = AuditEntry.objects.count()
    assert authenticate(request, username="handler1", password="nope") is None
    assert AuditEntry.objects.count() == before + 1
    assert (last().action, last().result, last().username) == ("auth.login", "denied", "handler1")
    assert authenticate(request, username="handler1", password=PASSWORD) == org.user("handler1")
    # Authenticating alone is not logging in: nothing more is recorded until login().
    assert AuditEntry.objects.count() == before + 1


def test_client_login_is_audited(org: Org) -> None:
    client = Client()
    assert client.login(request=RequestFactory().post("/staff/login/"), username="handler1", password=PASSWORD)
    assert (last().action, last().result, last().user) == ("auth.login", "ok", org.user("handler1"))
    assert not client.login(request=RequestFactory().post("/staff/login/"), username="handler1", password="bad")
    assert (last().action, last().result) == ("auth.login", "denied")


def test_role_grant_and_revoke_are_audited(org: Org) -> None:
    grant = RoleAssignment.objects.create(user=org.user("nobody"), unit=org.town2, role=Role.HANDLER)
    entry = last()
    assert (entry.action, entry.role, entry.unit_id) == ("perm.grant", Role.HANDLER, org.town2.pk)
    assert entry.object_type == "org.roleassignment" and entry.object_id == str(grant.pk)
    assert entry.detail["user"] == org.user("nobody").pk and entry.detail["role"] == Role.HANDLER

    grant_pk = grant.pk
    grant.delete()
    entry = last()
    assert (entry.action, entry.role, entry.unit_id) == ("perm.revoke", Role.HANDLER, org.town2.pk)
    assert entry.object_id == str(grant_pk)
    assert entry.detail == {"user": org.user("nobody").pk, "role": Role.HANDLER, "unit": org.town2.pk}
    assert verify_chain()[1] is None


def test_every_case_change_is_audited_once(org: Org) -> None:
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    case = new_case(org)
    perform("accept", case, org.actor("handler1"))
    assert list(AuditEntry.objects.filter(id__gt=before).order_by("id").values_list("action", flat=True)) == [
        "case.register",
        "case.triage",  # triage's own recorded step after the registration
        "case.accept",
    ]


def test_no_personal_data_in_audit_rows_or_logs(org: Org, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    description = f"申请人电话{PII[2]}，身份证号{PII[4]}，请尽快联系。"
    # Through the API (request logging, middleware) and through the action layer.
    client = client_for(org.user("dispatcher"))
    response = client.post("/api/cases/", case_payload(org, description=description), format="json")
    assert response.status_code == 201
    code = response.json()["code"]
    bad = client.post("/api/cases/", case_payload(org, description=description, title=""), format="json")
    assert bad.status_code == 400
    case = new_case(org, description=description)
    perform("update", case, org.actor("handler1"), {"description": description + "（补充）", "reason": f"致电{PII[0]}"})
    perform("note", case, org.actor("handler1"), {"text": f"当事人新号码{PII[1]}"})
    client.post(f"/api/cases/{code}/reveal/", {"reason": f"核实{PII[0]}身份证{PII[3]}"}, format="json")

    rows = json.dumps(list(AuditEntry.objects.values()), ensure_ascii=False, default=str)
    for value in PII:
        assert value not in rows, value
    reveal = AuditEntry.objects.filter(action="pii.reveal").get()
    assert reveal.detail["reason"] == f"核实{redact(PII[0])}身份证{redact(PII[3])}"
    assert "****" in reveal.detail["reason"]
    for value in PII:
        assert value not in caplog.text, value
    assert verify_chain()[1] is None


def test_log_output_is_redacted_by_the_configured_handler(caplog: pytest.LogCaptureFixture) -> None:
    root_filters = [f for h in logging.getLogger().handlers for f in h.filters]
    assert any(isinstance(f, RedactPersonalDataFilter) for f in root_filters), "the console handler redacts"
    caplog.handler.addFilter(RedactPersonalDataFilter())
    try:
        logging.getLogger("fengqiao.test").warning("caller %s id %s", PHONE, ID_NUMBER)
    finally:
        caplog.handler.filters.clear()
    assert PHONE not in caplog.text and ID_NUMBER not in caplog.text
    assert "138****1234" in caplog.text and "110105********X" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812341234", "138****1234"),
        ("tel:13812341234.", "tel:138****1234."),
        ("11010519491231002X", "110105********X"),
        ("110105194912310021x", "110105194912310021x"),  # 19 characters: not an ID number
        ("订单号 2025013812341234567", "订单号 2025013812341234567"),
        ("12812341234", "12812341234"),  # not a mobile number
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


# --------------------------------------------------------------------------------------------
# the chain


def test_chain_verifies(org: Org) -> None:
    make_history(org)
    count, problem = verify_chain()
    assert problem is None
    assert count == AuditEntry.objects.count() > 5
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == GENESIS
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
        assert row.hash == compute_hash(row)
    head = AuditHead.objects.get()
    assert (head.last_seq, head.last_hash) == (rows[-1].seq, rows[-1].hash)


def test_models_refuse_edit_and_delete(org: Org) -> None:
    make_history(org, 1)
    entry = last()
    entry.detail = {"x": 1}
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_edited_row_is_named(org: Org) -> None:
    make_history(org)
    target = AuditEntry.objects.order_by("seq")[3]
    with triggers_off() as cur:
        cur.execute(
            f"UPDATE core_auditentry SET detail = {json_param()} WHERE seq = %s",
            [json.dumps({"event": 999, "version": 1, "state": "closed"}), target.seq],
        )
    _count, problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "edited")
    with pytest.raises(CommandError, match=rf"#{target.seq} \(edited\)"):
        call_command("audit-verify")


def test_edited_hash_is_found(org: Org) -> None:
    """Rewriting a row *and* its hash breaks the link to the next row."""
    make_history(org)
    target = AuditEntry.objects.order_by("seq")[3]
    target.username = "someone-else"
    forged = compute_hash(target)
    with triggers_off() as cur:
        cur.execute(
            "UPDATE core_auditentry SET username = %s, hash = %s WHERE seq = %s", ["someone-else", forged, target.seq]
        )
    problem = verify_chain()[1]
    assert problem is not None and problem.seq in (target.seq, target.seq + 1)


def test_deleted_middle_row_is_named(org: Org) -> None:
    make_history(org)
    target = AuditEntry.objects.order_by("seq")[4]
    with triggers_off() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = %s", [target.seq])
    count, problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "deleted")
    assert count == target.seq  # stopped at the first row after the gap
    with pytest.raises(CommandError, match="deleted"):
        call_command("audit-verify")


def test_deleted_last_row_is_found_through_the_head(org: Org) -> None:
    make_history(org)
    target = last()
    with triggers_off() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = %s", [target.seq])
    _count, problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "deleted")
    with pytest.raises(CommandError):
        call_command("audit-verify")


def test_forged_row_appended_is_found(org: Org) -> None:
    """A forger who knows the hashing (it has no key) appends a well-formed row without the head."""
    make_history(org)
    tail = last()
    forged = AuditEntry(
        seq=tail.seq + 1,
        at=tail.at,
        username="intruder",
        action="case.close",
        object_type="cases.case",
        object_id="1",
        result="ok",
        detail={},
        prev_hash=tail.hash,
    )
    forged.hash = compute_hash(forged)
    forged.save(force_insert=True)  # INSERT is allowed; the head is not updated
    _count, problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (forged.seq, "inserted")
    with pytest.raises(CommandError, match="inserted"):
        call_command("audit-verify")


def test_forged_row_with_a_bad_hash_is_found(org: Org) -> None:
    make_history(org)
    tail = last()
    forged = AuditEntry(
        seq=tail.seq + 1,
        at=tail.at,
        username="intruder",
        action="case.close",
        result="ok",
        detail={},
        prev_hash="f" * 64,
        hash="e" * 64,
    )
    forged.save(force_insert=True)
    problem = verify_chain()[1]
    assert problem is not None and problem.seq == forged.seq


def test_replaced_row_with_a_fresh_chain_is_found(org: Org) -> None:
    """Deleting a middle row and renumbering the rest (recomputing every hash) still disagrees with the head."""
    make_history(org)
    rows = list(AuditEntry.objects.order_by("seq"))
    victim = rows[3]
    with triggers_off() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq >= %s", [victim.seq])
        prev = rows[2].hash
        for seq, row in enumerate(rows[4:], start=victim.seq):
            row.seq, row.prev_hash = seq, prev
            row.hash = prev = compute_hash(row)
            row.pk = None
            row.save(force_insert=True)
    problem = verify_chain()[1]
    assert problem is not None


def test_audit_verify_command_succeeds_on_an_intact_chain(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    make_history(org)
    call_command("audit-verify")
    out = capsys.readouterr().out
    assert f"{AuditEntry.objects.count()} rows verified" in out


def test_the_chain_keeps_growing_after_verification(org: Org) -> None:
    make_history(org, 1)
    assert verify_chain()[1] is None
    audit.record("test.event", detail={"n": 1})
    assert verify_chain()[1] is None
    assert audit.chain_pending() == 1
    assert last().prev_hash == AuditEntry.objects.get(seq=last().seq - 1).hash


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_refuses_update_and_delete(org: Org) -> None:
    make_history(org, 1)
    target = last()
    for sql in (
        "UPDATE core_auditentry SET username = 'x' WHERE seq = %s",
        "DELETE FROM core_auditentry WHERE seq = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [target.seq])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=target.seq).update(username="x")
    assert AuditEntry.objects.get(seq=target.seq).username == target.username
    assert verify_chain()[1] is None
