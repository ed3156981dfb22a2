"""Writing and verifying the audit chain.

Writing takes no lock (issue #21): a request inserts its row *pending* — no ``seq`` yet, sealed on
its own with :func:`pending_seal` (an HMAC of its content under the audit key). A background step,
:func:`chain_pending` (the "audit chain" job, every second), takes the head's lock, checks each
pending row's seal and appends the rows to the chain in insertion order: ``seq``, ``prev_hash``,
``hash`` and ``mac`` as below. A rolled-back request leaves no gap (its row never existed); a row
changed while pending is refused by the chainer and named by :func:`verify_chain`.

Each row's ``hash`` (SHA-256 over its content and the previous hash) chains the rows; anyone can
recompute it. Each row also carries a ``mac``, an HMAC of its hash under ``FENGQIAO_AUDIT_KEY`` (a key
kept outside the database; derived from SECRET_KEY when not set), and the head carries a seal of the
last (seq, hash). A database user who rewrites row N and recomputes every later hash cannot recompute
the seals: ``audit-verify`` names row N. ``audit-anchor`` writes the head to a file outside the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fengqiao.core.context import client_ip_var, request_id_var
from fengqiao.core.logging import redact
from fengqiao.core.models import AuditEntry, AuditHead

log = logging.getLogger(__name__)
GENESIS = "0" * 64


def _canonical(entry: AuditEntry, *, pending: bool = False) -> bytes:
    payload = {
        "seq": None if pending else entry.seq,
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "user": entry.user_id,
        "username": entry.username,
        "role": entry.role,
        "unit": entry.unit_id,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "result": entry.result,
        "detail": entry.detail,
        "prev": "" if pending else entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


@functools.lru_cache(maxsize=4)
def _derive_key(configured: str, secret_key: str) -> bytes:
    if configured:
        return hashlib.sha256(b"fengqiao-audit-key:" + configured.encode()).digest()
    return hmac.new(secret_key.encode(), b"fengqiao-audit-chain", hashlib.sha256).digest()


def audit_key() -> bytes:
    return _derive_key(getattr(settings, "FENGQIAO_AUDIT_KEY", ""), settings.SECRET_KEY)


def row_seal(row_hash: str, key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), b"row:" + row_hash.encode(), hashlib.sha256).hexdigest()


def head_seal(seq: int, head_hash: str, key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), f"head:{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()


def pending_seal(entry: AuditEntry, key: bytes | None = None) -> str:
    """The seal of a row not yet chained: its content (without position and link) under the audit key."""
    content = hashlib.sha256(_canonical(entry, pending=True)).hexdigest()
    return hmac.new(key or audit_key(), b"pending:" + content.encode(), hashlib.sha256).hexdigest()


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    """Never keep a full phone or ID number in the log."""
    text = json.dumps(detail, ensure_ascii=False, default=str)
    return json.loads(redact(text))


def record(
    action: str,
    *,
    user: Any = None,
    role: str = "",
    unit_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one row to the chain (inside the caller's transaction, or its own)."""
    return record_many(
        [
            {
                "action": action,
                "user": user,
                "role": role,
                "unit_id": unit_id,
                "obj": obj,
                "object_type": object_type,
                "object_id": object_id,
                "result": result,
                "detail": detail,
                "username": username,
            }
        ]
    )[0]


def record_many(rows: list[dict[str, Any]]) -> list[AuditEntry]:
    """Append several rows in order with one insert and no lock (they are chained by
    :func:`chain_pending`); each dict holds the keyword arguments of :func:`record`."""
    if not rows:
        return []
    entries = []
    ip, request_id = client_ip_var.get(), request_id_var.get()
    key = audit_key()
    for row in rows:
        obj, user = row.get("obj"), row.get("user")
        object_type, object_id = row.get("object_type", ""), row.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or obj.pk
        user_obj = user if user is not None and getattr(user, "is_authenticated", False) else None
        entry = AuditEntry(
            seq=None,
            at=timezone.now(),
            user=user_obj,
            username=row.get("username") or (user_obj.get_username() if user_obj else ""),
            role=row.get("role", ""),
            unit_id=row.get("unit_id"),
            ip=ip,
            request_id=request_id,
            action=row["action"],
            object_type=object_type,
            object_id=str(object_id) if object_id != "" else "",
            result=row.get("result", "ok"),
            detail=_scrub(row.get("detail") or {}),
            prev_hash="",
            hash="",
        )
        entry.mac = pending_seal(entry, key)
        entries.append(entry)
    AuditEntry.objects.bulk_create(entries)
    return entries


def chain_pending(batch: int = 2000) -> int:
    """Append the pending rows to the chain, in insertion order, under the head's lock (one background
    step at a time; requests never wait for it). A pending row whose seal does not match its content
    (changed after it was written) stops the chain there: it stays pending, is logged, and
    :func:`verify_chain` names it. Returns the number of rows chained."""
    total = 0
    key = audit_key()
    while True:
        with transaction.atomic():
            head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
            rows = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:batch])
            seq, prev = head.last_seq, head.last_hash
            done: list[AuditEntry] = []
            for entry in rows:
                if entry.hash or entry.prev_hash or not hmac.compare_digest(entry.mac, pending_seal(entry, key)):
                    log.error("audit row id %s was changed before it was chained: the chain stops there", entry.pk)
                    break
                seq += 1
                entry.seq, entry.prev_hash = seq, prev
                entry.hash = prev = compute_hash(entry)
                entry.mac = row_seal(entry.hash, key)
                done.append(entry)
            if done:
                AuditEntry.objects.bulk_update(done, ["seq", "prev_hash", "hash", "mac"])
                AuditHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev, last_mac=head_seal(seq, prev, key))
        total += len(done)
        if len(done) < batch:
            return total


@dataclass
class ChainProblem:
    seq: int
    kind: str  # edited | inserted | deleted | truncated (a rewrite without the key counts as edited)
    message: str


def _iter_entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])  # chained rows
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or 0


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Walk the chain; return (rows checked, first problem or None)."""
    expected_seq = 1
    prev_hash = GENESIS
    count = 0
    key = audit_key()
    first_head = AuditHead.objects.filter(id=1).values_list("last_seq", flat=True).first() or 0
    for entry in _iter_entries():
        count += 1
        assert entry.seq is not None  # only chained rows are walked here
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                return count, ChainProblem(
                    expected_seq,
                    "deleted",
                    f"row #{expected_seq} is missing (next present row is #{entry.seq})",
                )
            return count, ChainProblem(entry.seq, "inserted", f"row #{entry.seq} is out of sequence")
        if entry.prev_hash != prev_hash:
            kind = "inserted" if compute_hash(entry) == entry.hash else "edited"
            return count, ChainProblem(entry.seq, kind, f"row #{entry.seq} does not follow the previous row")
        if compute_hash(entry) != entry.hash:
            return count, ChainProblem(entry.seq, "edited", f"row #{entry.seq} was edited after it was written")
        if not hmac.compare_digest(entry.mac, row_seal(entry.hash, key)):
            kind = "inserted" if entry.seq > first_head else "edited"
            return count, ChainProblem(
                entry.seq, kind, f"row #{entry.seq} does not carry the audit key's seal (rewritten without the key)"
            )
        prev_hash = entry.hash
        expected_seq += 1
    head = AuditHead.objects.filter(id=1).first()  # read after the walk: rows appended meanwhile are in it
    end = expected_seq - 1
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    if head_seq < end:  # rows beyond the head: appended without taking the head's lock
        return count, ChainProblem(
            head_seq + 1, "inserted", f"row #{head_seq + 1} lies beyond the chain's head (#{head_seq})"
        )
    if head_seq > end:
        return count, ChainProblem(expected_seq, "deleted", f"the chain ends at #{end} but its head says #{head_seq}")
    if head_hash != prev_hash:
        return count, ChainProblem(end, "edited", f"row #{end} does not match the chain's head")
    if head is not None and end and not hmac.compare_digest(head.last_mac, head_seal(head_seq, head_hash, key)):
        return count, ChainProblem(end, "truncated", f"the chain's head (#{end}) was moved without the audit key")
    return _verify_pending(count, end, key)


def _verify_pending(count: int, end: int, key: bytes) -> tuple[int, ChainProblem | None]:
    """Rows written but not yet chained: each must carry its own seal (an edit, or a row written
    without the key, is named with the position it would take)."""
    position = end
    for entry in AuditEntry.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
        count += 1
        position += 1
        if entry.hash or entry.prev_hash or not hmac.compare_digest(entry.mac, pending_seal(entry, key)):
            return count, ChainProblem(
                position,
                "edited",
                f"row id {entry.pk}, not yet chained, does not carry the audit key's seal (changed or forged)",
            )
    return count, None
