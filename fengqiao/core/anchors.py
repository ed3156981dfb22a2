"""External anchors of the audit chain: the head (seq, hash, seal, time) appended to a file outside
the database. Whoever holds the database cannot change an anchored row, nor cut the chain below an
anchor, without ``audit-verify`` noticing — even if the audit key were to leak."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from fengqiao.core.models import AuditEntry, AuditHead


@dataclass
class AnchorProblem:
    seq: int
    message: str


def anchor_path(path: str | Path | None = None) -> Path | None:
    value = path or settings.FENGQIAO_AUDIT_ANCHOR_FILE
    return Path(value) if value else None


def write_anchor(path: str | Path | None = None) -> dict[str, object]:
    """Append the current head to the anchor file (one JSON object a line); returns it."""
    target = anchor_path(path)
    if target is None:
        raise ValueError("FENGQIAO_AUDIT_ANCHOR_FILE is not set")
    head = AuditHead.objects.filter(id=1).first()
    line = {
        "seq": head.last_seq if head else 0,
        "hash": head.last_hash if head else "0" * 64,
        "mac": head.last_mac if head else "",
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, sort_keys=True) + "\n")
    return line


def check_anchors(path: str | Path | None = None) -> tuple[int, AnchorProblem | None]:
    """Every anchored (seq, hash) must still be in the chain; (anchors checked, first problem)."""
    target = anchor_path(path)
    if target is None or not target.exists():
        return 0, None
    checked = 0
    for raw in target.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        anchor = json.loads(raw)
        seq, expected = int(anchor["seq"]), str(anchor["hash"])
        checked += 1
        if seq == 0:
            continue
        found = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if found is None:
            return checked, AnchorProblem(seq, f"anchored row #{seq} is gone (the chain was cut below an anchor)")
        if found != expected:
            return checked, AnchorProblem(seq, f"anchored row #{seq} no longer has its anchored hash")
    return checked, None
