"""The keyed audit chain (issue #12, 7): a database user who rewrites row N and recomputes every later
hash — what made audit-verify say "intact" — is now caught at row N; so is a head moved back to hide
a cut tail, and an anchored row that changed. Single-row edits and deletions are still named."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from fengqiao.cases.actions import perform
from fengqiao.core import audit
from fengqiao.core.anchors import check_anchors, write_anchor
from fengqiao.core.audit import compute_hash, verify_chain
from fengqiao.core.models import AuditEntry, AuditHead
from tests.conftest import Org
from tests.core.test_audit import json_param, triggers_off
from tests.helpers import new_case

pytestmark = pytest.mark.django_db


def history(org: Org, notes: int = 8) -> None:
    case = new_case(org)
    for i in range(notes):
        perform("note", case, org.actor("handler1"), {"text": f"进展 {i}"})
    audit.chain_pending()


def rewrite_and_recompute(seq: int, **changes: Any) -> None:
    """The attack of the report: change row ``seq``, then recompute its hash and every later link and
    the head — everything an attacker without the key can compute."""
    rows = list(AuditEntry.objects.filter(seq__gte=seq - 1).order_by("seq"))
    prev = rows[0].hash
    with triggers_off() as cur:
        for row in rows[1:]:
            for name, value in changes.items() if row.seq == seq else ():
                setattr(row, name, value)
            row.prev_hash = prev
            row.hash = prev = compute_hash(row)
            cur.execute(
                f"UPDATE core_auditentry SET username = %s, detail = {json_param()}, prev_hash = %s, hash = %s"
                " WHERE seq = %s",
                [row.username, json.dumps(row.detail), row.prev_hash, row.hash, row.seq],
            )
        cur.execute("UPDATE core_audithead SET last_hash = %s WHERE id = 1", [prev])


def test_every_row_and_the_head_are_sealed(org: Org) -> None:
    history(org)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert all(r.mac == audit.row_seal(r.hash) for r in rows)
    head = AuditHead.objects.get()
    assert head.last_mac == audit.head_seal(head.last_seq, head.last_hash)
    assert verify_chain() == (len(rows), None)


def test_rewrite_and_recompute_without_the_key_is_detected(org: Org) -> None:
    history(org)
    target = AuditEntry.objects.order_by("seq")[4]
    rewrite_and_recompute(target.seq, username="someone-else", detail={"forged": True})
    # Without the seals this chain is consistent: every hash and link checks out.
    rows = list(AuditEntry.objects.order_by("seq"))
    assert all(r.hash == compute_hash(r) for r in rows)
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    _count, problem = verify_chain()
    assert problem is not None
    assert (problem.seq, problem.kind) == (target.seq, "edited")
    assert "key" in problem.message
    with pytest.raises(CommandError, match=rf"#{target.seq} \(edited\)"):
        call_command("audit-verify")


def test_a_different_key_does_not_verify(org: Org) -> None:
    """The seal is the key's: the same rows under another key (an attacker's guess) fail at row 1."""
    history(org, 2)
    with override_settings(FENGQIAO_AUDIT_KEY="an-attackers-guess-of-the-key-0123456789"):
        problem = verify_chain()[1]
    assert problem is not None and problem.seq == 1
    assert verify_chain()[1] is None


def test_cut_tail_with_the_head_moved_back_is_detected(org: Org) -> None:
    history(org)
    rows = list(AuditEntry.objects.order_by("seq"))
    keep = rows[-3]
    with triggers_off() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq > %s", [keep.seq])
        cur.execute("UPDATE core_audithead SET last_seq = %s, last_hash = %s WHERE id = 1", [keep.seq, keep.hash])
    problem = verify_chain()[1]
    assert problem is not None and problem.kind == "truncated"


def test_single_row_edit_and_delete_are_still_named(org: Org) -> None:
    history(org)
    target = AuditEntry.objects.order_by("seq")[3]
    with triggers_off() as cur:
        cur.execute("UPDATE core_auditentry SET username = %s WHERE seq = %s", ["x", target.seq])
    assert verify_chain()[1] is not None and verify_chain()[1].seq == target.seq  # type: ignore[union-attr]
    with triggers_off() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE seq = %s", [target.seq])
    problem = verify_chain()[1]
    assert problem is not None and (problem.seq, problem.kind) == (target.seq, "deleted")


def test_external_anchor_catches_a_rewrite_even_with_the_key(org: Org, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    history(org, 3)
    call_command("audit-anchor", "--file", str(anchors))
    anchored = AuditHead.objects.get().last_seq
    history(org, 2)
    assert check_anchors(anchors) == (1, None)
    call_command("audit-verify", "--anchors", str(anchors))
    # Someone with the database AND the key rewrites the anchored row and re-seals everything after it.
    key = audit.audit_key()
    rows = list(AuditEntry.objects.filter(seq__gte=anchored - 1).order_by("seq"))
    prev = rows[0].hash
    with triggers_off() as cur:
        for row in rows[1:]:
            if row.seq == anchored:
                row.username = "rewritten"
            row.prev_hash = prev
            row.hash = prev = compute_hash(row)
            cur.execute(
                "UPDATE core_auditentry SET username = %s, prev_hash = %s, hash = %s, mac = %s WHERE seq = %s",
                [row.username, row.prev_hash, row.hash, audit.row_seal(row.hash, key), row.seq],
            )
        head_seq = rows[-1].seq
        cur.execute(
            "UPDATE core_audithead SET last_hash = %s, last_mac = %s WHERE id = 1",
            [prev, audit.head_seal(head_seq, prev, key)],
        )
    assert verify_chain()[1] is None  # the key holder can re-seal …
    _n, problem = check_anchors(anchors)
    assert problem is not None and problem.seq == anchored  # … but not change what is anchored outside
    with pytest.raises(CommandError, match="anchor"):
        call_command("audit-verify", "--anchors", str(anchors))


def test_anchor_needs_a_file(org: Org, settings: Any) -> None:
    settings.FENGQIAO_AUDIT_ANCHOR_FILE = ""
    with pytest.raises(ValueError, match="FENGQIAO_AUDIT_ANCHOR_FILE"):
        write_anchor()
    with pytest.raises(CommandError):
        call_command("audit-anchor")
