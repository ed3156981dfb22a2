"""Audit tampering — a single-row edit, a deletion, and a rewrite with every later hash recomputed —
each detected by ``fengqiao audit-verify``. Each tampering happens on its own copy of the suite's
database (pg_dump), so the running servers keep an intact chain. The tampering runs in a process of
its own whose keys and secrets are not the server's (database rights, not secrets); the check runs
the operators' command with the server's settings."""

# ruff: noqa: S603, S607 - the suite's own servers and tools, started with fixed arguments on loopback

from __future__ import annotations

import secrets
import subprocess
import sys

from resilience.context import Context
from resilience.report import Row
from resilience.stack import ROOT
from resilience.tamper import audit_verify, on_database

BASE = "fq_audit_base"
KINDS = (("edit", "single-row edit"), ("delete", "row deleted"), ("rewrite", "rewrite + recompute"))


def attacker_env(env: dict[str, str]) -> dict[str, str]:
    """The server's environment with every key and secret replaced."""
    env = dict(env)
    for name in list(env):
        if any(word in name.upper() for word in ("KEY", "SECRET", "PEPPER", "SALT")):
            env[name] = "attacker-" + secrets.token_urlsafe(48)
    return env


def copy_database(ctx: Context) -> None:
    port = str(ctx.stack.ports.pg)
    ctx.stack.psql(f"DROP DATABASE IF EXISTS {BASE}", db="postgres")
    ctx.stack.psql(f"CREATE DATABASE {BASE}", db="postgres")
    dump = subprocess.Popen(
        ["pg_dump", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-Fc", "fengqiao"], stdout=subprocess.PIPE
    )
    subprocess.run(
        ["pg_restore", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", BASE, "--no-owner"],
        stdin=dump.stdout,
        check=True,
        capture_output=True,
        timeout=600,
    )
    dump.wait(60)


def tampering(ctx: Context) -> list[Row]:
    psql = ctx.stack.psql
    copy_database(ctx)
    with on_database(BASE):
        intact, message = audit_verify()
    if not intact:
        return [Row("audit tampering", f"chain not intact before tampering: {message}", False)]
    last = int(psql("SELECT max(seq) FROM core_auditentry", db=BASE))
    seq = max(2, last * 2 // 3)
    for kind, _label in KINDS:
        psql(f"DROP DATABASE IF EXISTS fq_audit_{kind}", db="postgres")
        psql(f"CREATE DATABASE fq_audit_{kind} TEMPLATE {BASE}", db="postgres")
    r = subprocess.run(
        [sys.executable, "-m", "resilience.tamper", str(seq), *(f"{k}:fq_audit_{k}" for k, _ in KINDS)],
        cwd=ROOT,
        env=attacker_env(ctx.stack.env()),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    did = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    rows = []
    for kind, label in KINDS:
        if kind not in did:
            rows.append(Row(f"audit tampering: {label}", f"tampering failed: {r.stderr.strip()[-160:]}", False))
            continue
        with on_database(f"fq_audit_{kind}"):
            intact, message = audit_verify()
        figure = f"{did[kind][:90]} of {last}; audit-verify: {'intact (NOT detected)' if intact else message[:110]}"
        rows.append(Row(f"audit tampering: {label}", figure, not intact))
    for kind, _label in KINDS:
        psql(f"DROP DATABASE IF EXISTS fq_audit_{kind}", db="postgres")
    psql(f"DROP DATABASE IF EXISTS {BASE}", db="postgres")
    return rows
