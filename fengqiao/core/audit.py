"""Writing and verifying the audit chain.

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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fengqiao.core.context import client_ip_var, request_id_var
from fengqiao.core.logging import redact
from fengqiao.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
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
        "prev": entry.prev_hash,
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
    """Append several rows to the chain in order, with one lock of the head and one insert (bulk
    registration); each dict holds the keyword arguments of :func:`record`."""
    if not rows:
        return []
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq, prev = head.last_seq, head.last_hash
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
            seq += 1
            entry = AuditEntry(
                seq=seq,
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
                prev_hash=prev,
            )
            entry.hash = prev = compute_hash(entry)
            entry.mac = row_seal(entry.hash, key)
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries)
        AuditHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev, last_mac=head_seal(seq, prev, key))
    return entries


@dataclass
class ChainProblem:
    seq: int
    kind: str  # edited | inserted | deleted | truncated (a rewrite without the key counts as edited)
    message: str


def _iter_entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain() -> tuple[int, ChainProblem | None]:
    """Walk the chain; return (rows checked, first problem or None)."""
    expected_seq = 1
    prev_hash = GENESIS
    count = 0
    key = audit_key()
    first_head = AuditHead.objects.filter(id=1).values_list("last_seq", flat=True).first() or 0
    for entry in _iter_entries():
        count += 1
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
    return count, None
