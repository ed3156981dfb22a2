"""Audit-chain tampering, as someone with rights on the database (but not the application's secrets)
would do it: edit one row, delete one row, or rewrite a row and recompute every later hash and the
chain's head. Used by the suite (in a process of its own whose secrets are not the server's) and by
tests/resilience against the test database.

    python -m resilience.tamper SEQ edit:DB [delete:DB rewrite:DB ...]   (prints one line per tampering)
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from django.db import connection, transaction


@contextlib.contextmanager
def on_database(name: str, port: int | None = None) -> Iterator[None]:
    """Point this process's default connection at another database (same server unless ``port``)."""
    settings = connection.settings_dict
    saved = (settings["NAME"], settings.get("PORT"))
    connection.close()
    settings["NAME"] = name
    if port is not None:
        settings["PORT"] = port
    try:
        yield
    finally:
        connection.close()
        settings["NAME"], settings["PORT"] = saved


def audit_verify() -> tuple[bool, str]:
    """Run the operators' ``fengqiao audit-verify`` command on the current connection."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    try:
        call_command("audit-verify", stdout=out)
    except CommandError as exc:
        return False, str(exc)
    return True, out.getvalue().strip()


@contextlib.contextmanager
def past_the_trigger() -> Iterator[None]:
    """The append-only trigger (PostgreSQL) stops the application role; a superuser switches it off
    for the session, as an attacker with those rights would."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL session_replication_role = replica")
        yield


def edit(seq: int) -> str:
    from fengqiao.core.models import AuditEntry

    with past_the_trigger():
        n = AuditEntry.objects.filter(seq=seq).update(result="tampered", detail={"note": "nothing happened"})
    return f"edited row #{seq} ({n} row)"


def delete(seq: int) -> str:
    from fengqiao.core.models import AuditEntry

    with past_the_trigger():
        n, _ = AuditEntry.objects.filter(seq=seq).delete()
    return f"deleted row #{seq} ({n} row)"


def rewrite(seq: int) -> str:
    """Change row ``seq`` and recompute the chain from there on with the code's own hash function
    (whatever key it needs comes from this process's settings, not the server's)."""
    from fengqiao.core import audit
    from fengqiao.core.models import AuditEntry, AuditHead

    with past_the_trigger():
        rows = list(AuditEntry.objects.filter(seq__gte=seq).order_by("seq"))
        prev = AuditEntry.objects.filter(seq=seq - 1).values_list("hash", flat=True).first() or audit.GENESIS
        # Whatever seals the code knows (a keyed MAC per row and on the head), the attacker recomputes
        # too — with the keys this process has.
        row_seal = getattr(audit, "row_seal", None)
        head_seal = getattr(audit, "head_seal", None)
        sealed = callable(row_seal) and hasattr(AuditEntry, "mac")
        for i, entry in enumerate(rows):
            if i == 0:
                entry.result = "tampered"
                entry.detail = {"note": "nothing happened"}
            entry.prev_hash = prev
            entry.hash = prev = audit.compute_hash(entry)
            if sealed and row_seal is not None:
                setattr(entry, "mac", row_seal(entry.hash))  # noqa: B010 - a field the model may not have
        fields = ["result", "detail", "prev_hash", "hash", *(["mac"] if sealed else [])]
        AuditEntry.objects.bulk_update(rows, fields, batch_size=500)
        head: dict[str, object] = {"last_hash": prev}
        if head_seal is not None and hasattr(AuditHead, "last_mac"):
            last_seq = AuditHead.objects.values_list("last_seq", flat=True).first() or 0
            head["last_mac"] = head_seal(last_seq, prev)
        AuditHead.objects.filter(id=1).update(**head)
    return f"rewrote row #{seq} and recomputed {len(rows)} hashes{' and seals' if sealed else ''} and the head"


KINDS = {"edit": edit, "delete": delete, "rewrite": rewrite}


def main(argv: list[str]) -> int:
    import django

    django.setup()
    seq = int(argv[0])
    for spec in argv[1:]:
        kind, db = spec.split(":", 1)
        with on_database(db):
            print(f"{kind}:{KINDS[kind](seq)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
