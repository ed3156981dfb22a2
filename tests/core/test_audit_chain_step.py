"""The audit chain without a lock per request (issue #21): a request writes its row pending, sealed on
its own, and touches no head row; the chain step appends pending rows in insertion order under the
head's lock; a pending row changed before it is chained is refused by the step and named by
verify_chain; a rolled-back request leaves no gap."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from fengqiao.core import audit
from fengqiao.core.audit import GENESIS, compute_hash, verify_chain
from fengqiao.core.models import AuditEntry, AuditHead
from tests.core.test_audit import json_param, triggers_off

pytestmark = pytest.mark.django_db


def test_writing_a_row_takes_no_lock_and_touches_no_head() -> None:
    with CaptureQueriesContext(connection) as ctx:
        entry = audit.record("test.one", detail={"n": 1})
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert len(sqls) == 1 and sqls[0].startswith("INSERT INTO")
    assert not any("core_audithead" in s or "FOR UPDATE" in s for s in sqls)
    row = AuditEntry.objects.get(pk=entry.pk)
    assert (row.seq, row.prev_hash, row.hash) == (None, "", "")
    assert row.mac == audit.pending_seal(row)
    assert verify_chain() == (AuditEntry.objects.count(), None)  # pending rows verify by their own seal


def test_the_chain_step_appends_pending_rows_in_insertion_order() -> None:
    audit.chain_pending()
    start = AuditHead.objects.get().last_seq
    first = [audit.record("test.a", detail={"i": i}) for i in range(3)]
    assert audit.chain_pending() == 3
    more = audit.record_many([{"action": "test.b", "detail": {"i": i}} for i in range(2)])
    assert audit.chain_pending() == 2
    assert audit.chain_pending() == 0
    rows = list(AuditEntry.objects.filter(pk__in=[e.pk for e in first + more]).order_by("id"))
    assert [r.seq for r in rows] == list(range(start + 1, start + 6))
    prev = AuditEntry.objects.get(seq=start).hash if start else GENESIS
    for row in rows:
        assert row.prev_hash == prev and row.hash == compute_hash(row) and row.mac == audit.row_seal(row.hash)
        prev = row.hash
    head = AuditHead.objects.get()
    assert (head.last_seq, head.last_hash) == (start + 5, prev)
    assert verify_chain() == (AuditEntry.objects.count(), None)


def test_a_rolled_back_request_leaves_no_gap() -> None:
    audit.chain_pending()
    start = AuditHead.objects.get().last_seq
    audit.record("test.kept", detail={"n": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.rolled-back", detail={"n": 2})
        raise RuntimeError
    audit.record("test.kept", detail={"n": 3})
    assert audit.chain_pending() == 2
    assert list(AuditEntry.objects.filter(seq__gt=start).values_list("seq", "detail__n").order_by("seq")) == [
        (start + 1, 1),
        (start + 2, 3),
    ]
    assert verify_chain()[1] is None


def test_a_pending_row_changed_before_chaining_is_refused_and_named() -> None:
    audit.chain_pending()
    end = AuditHead.objects.get().last_seq
    audit.record("test.ok", detail={"n": 1})
    target = audit.record("case.close", detail={"n": 2})
    audit.record("test.after", detail={"n": 3})
    with triggers_off() as cur:
        cur.execute(
            f"UPDATE core_auditentry SET detail = {json_param()} WHERE id = %s", [json.dumps({"n": 9}), target.pk]
        )
    problem = verify_chain()[1]
    assert problem is not None and (problem.seq, problem.kind) == (end + 2, "edited")
    assert f"id {target.pk}" in problem.message
    assert audit.chain_pending() == 1  # the row before it; the chain stops at the changed row
    assert AuditEntry.objects.get(pk=target.pk).seq is None
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 2
    problem = verify_chain()[1]
    assert problem is not None and problem.kind == "edited" and problem.seq == end + 2


def test_a_forged_pending_row_without_the_key_is_named() -> None:
    audit.chain_pending()
    forged = AuditEntry(at=audit.timezone.now(), action="case.close", detail={}, prev_hash="", hash="", mac="0" * 64)
    forged.save(force_insert=True)
    problem = verify_chain()[1]
    assert problem is not None and f"id {forged.pk}" in problem.message


def test_audit_verify_chains_first(capsys: pytest.CaptureFixture[str]) -> None:
    audit.record("test.one", detail={})
    call_command("audit-verify")
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert "rows verified" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_lets_only_the_chain_step_update_a_pending_row() -> None:
    entry = audit.record("test.one", detail={"n": 1})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(username="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(seq=10**9, hash="a" * 64, username="x")
    assert audit.chain_pending() >= 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(seq=None, hash="")
    assert verify_chain()[1] is None
