"""Audit tampering — a single-row edit, a deletion, and a rewrite with every later hash recomputed —
each detected by ``fengqiao audit-verify`` (run as operators run it). Each tampering happens on a copy
of the suite's database (pg_dump), so the running servers keep an intact chain."""

from __future__ import annotations

import secrets
import subprocess
import sys

from resilience.context import Context
from resilience.report import Row
from resilience.stack import ROOT

BASE = "fq_audit_base"


def attacker_env(env: dict[str, str]) -> dict[str, str]:
    """The server's environment with every key and secret replaced: database rights, not secrets."""
    env = dict(env)
    for name in list(env):
        if any(word in name.upper() for word in ("KEY", "SECRET", "PEPPER", "SALT")):
            env[name] = "attacker-" + secrets.token_urlsafe(48)
    return env


def verify(ctx: Context, env: dict[str, str]) -> tuple[bool, str]:
    r = ctx.stack.manage("audit-verify", timeout=600, env=env)
    text = (r.stdout + r.stderr).strip().splitlines()
    return r.returncode == 0, (text[-1] if text else "")[:140]


def copy_database(ctx: Context) -> None:
    port = str(ctx.stack.ports.pg)
    ctx.stack.psql(f"DROP DATABASE IF EXISTS {BASE}", db="postgres")
    ctx.stack.psql(f"CREATE DATABASE {BASE}", db="postgres")
    dump = subprocess.Popen(
        ["pg_dump", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-Fc", "fengqiao"], stdout=subprocess.PIPE
    )
    subprocess.run(
        ["pg_restore", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", BASE, "--no-owner"],
        stdin=dump.stdout, check=True, capture_output=True, timeout=600,
    )
    dump.wait(60)


def tampering(ctx: Context) -> list[Row]:
    psql = ctx.stack.psql
    copy_database(ctx)
    base_env = {**ctx.stack.env(), "DATABASE_URL": f"postgres://postgres@127.0.0.1:{ctx.stack.ports.pg}/{BASE}"}
    intact, message = verify(ctx, base_env)
    rows = []
    if not intact:
        return [Row("audit tampering", f"chain not intact before tampering: {message}", False)]
    last = int(psql("SELECT max(seq) FROM core_auditentry", db=BASE))
    seq = max(2, last * 2 // 3)
    for kind, label in (("edit", "single-row edit"), ("delete", "row deleted"), ("rewrite", "rewrite + recompute")):
        db = f"fq_audit_{kind}"
        psql(f"DROP DATABASE IF EXISTS {db}", db="postgres")
        psql(f"CREATE DATABASE {db} TEMPLATE {BASE}", db="postgres")
        env = {**base_env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{ctx.stack.ports.pg}/{db}"}
        r = subprocess.run(
            [sys.executable, "-m", "resilience.tamper", kind, str(seq)],
            cwd=ROOT, env=attacker_env(env), capture_output=True, text=True, timeout=600, check=False,
        )
        if r.returncode != 0:
            rows.append(Row(f"audit tampering: {label}", f"tampering failed: {r.stderr.strip()[-160:]}", False))
        else:
            intact, message = verify(ctx, env)
            figure = f"{r.stdout.strip()[:100]} of {last}; audit-verify: {'intact (NOT detected)' if intact else message}"
            rows.append(Row(f"audit tampering: {label}", figure, not intact))
        psql(f"DROP DATABASE IF EXISTS {db}", db="postgres")
    psql(f"DROP DATABASE IF EXISTS {BASE}", db="postgres")
    return rows
