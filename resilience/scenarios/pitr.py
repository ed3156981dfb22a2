"""Point-in-time restore following docs/backup.md: a base backup (pg_basebackup) and the WAL archive,
then an operator's accident (every case's title overwritten) while the load writes; restore to the
moment before the accident on a fresh server. The accident must be gone, every write acknowledged
before the target must be there, and at most 60 s lost before the target."""

# ruff: noqa: S608 - fixed SQL against the suite's own restored cluster

from __future__ import annotations

import datetime as dt
import shutil
import time

from resilience.context import Context
from resilience.load import background_load
from resilience.report import PITR_LOSS_LIMIT_S, Row
from resilience.tamper import audit_verify, on_database

ACCIDENT = "误操作覆盖"


def point_in_time_restore(ctx: Context) -> list[Row]:
    stack = ctx.stack
    backup = stack.workdir / "pg" / "base"
    restored = stack.workdir / "pg" / "restored"
    # 1. Nightly base backup (docs/backup.md, step 2).
    stack._as_postgres(
        [
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(stack.ports.pg),
            "-U",
            "postgres",
            "-D",
            str(backup),
            "-Fp",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        timeout=600,
    )
    ctx.log("base backup taken; writing under load")
    # 2. Life goes on: the load writes; then the accident; then more writes.
    writing = ctx.size(120, 40)
    thread, flag, log = background_load(ctx.port, ctx.world.load_users, ctx.world.villages, writing + 60, 10)
    time.sleep(writing)
    target = stack.psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(1.0)
    stack.psql(f"UPDATE cases_case SET title = '{ACCIDENT}'")
    time.sleep(5)
    flag.set()
    thread.join(60)
    # 3. Restore (docs/backup.md, "Restore to a point in time"): archive the current WAL segment, a new
    #    data directory from the base backup, restore_command from the archive, the target time.
    stack.psql("SELECT pg_switch_wal()")
    time.sleep(3)  # the archiver copies the segment
    t0 = time.monotonic()
    shutil.copytree(backup, restored, symlinks=True)
    for wal in (restored / "pg_wal").glob("0*"):
        if wal.is_file():
            wal.unlink()
    (restored / "recovery.signal").touch()
    with open(restored / "postgresql.auto.conf", "a") as fh:
        fh.write(
            f"port = {stack.ports.restore_pg}\n"
            f"restore_command = 'cp {stack.wal_archive}/%f %p'\n"
            f"recovery_target_time = '{target}'\n"
            "recovery_target_action = 'promote'\n"
            "archive_mode = off\n"
        )
    stack._chown_postgres(restored)
    stack.extra_clusters.append(restored)
    stack.start_postgres(restored)
    port = stack.ports.restore_pg
    for _ in range(120):
        if stack.psql("SELECT pg_is_in_recovery()", port=port) == "f":
            break
        time.sleep(1)
    took = time.monotonic() - t0
    # 4. Check the restored database.
    accident = int(stack.psql(f"SELECT count(*) FROM cases_case WHERE title = '{ACCIDENT}'", port=port))
    last_commit = stack.psql(
        f"SELECT coalesce(extract(epoch FROM ('{target}'::timestamptz - max(at))), -1) FROM core_auditentry", port=port
    )
    lost_s = float(last_commit)
    target_ts = dt.datetime.fromisoformat(target.replace(" ", "T")).timestamp()
    acked = [w.marker for w in log.writes if w.kind == "register" and 200 <= w.status < 300 and w.wall < target_ts - 1]
    present = 0
    if acked:
        quoted = ",".join("'" + m + "'" for m in acked)
        present = int(stack.psql(f"SELECT count(*) FROM cases_case WHERE title IN ({quoted})", port=port))
    with on_database("fengqiao", port=port):
        verified, _message = audit_verify()
    stack.stop_postgres(restored, mode="fast")
    stack.extra_clusters.remove(restored)
    ok = accident == 0 and 0 <= lost_s <= PITR_LOSS_LIMIT_S and bool(acked) and present == len(acked) and verified
    figure = (
        f"restored to 1 s before the accident in {took:.0f}s: accident {'undone' if accident == 0 else 'STILL THERE'}; "
        f"last commit {lost_s:.1f}s before the target (≤{PITR_LOSS_LIMIT_S:.0f}); "
        f"{present}/{len(acked)} acknowledged registrations present; audit chain {'intact' if verified else 'BROKEN'}"
    )
    return [Row("point-in-time restore (docs/backup.md)", figure, ok)]
