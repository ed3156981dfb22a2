"""Schemathesis over the whole API schema for each role (bounded examples and time): zero server
errors and zero responses that break the documented schema."""

# ruff: noqa: S603, S314 - schemathesis started with fixed arguments; its report is our own file

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from resilience.context import Context
from resilience.report import Row
from resilience.stack import BIN, ROOT
from resilience.world import ROLES_FOR_SCHEMA

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


SERVER_ERROR = {"ST101", "ST102"}  # schemathesis failure codes: a 5xx answer
# An answer not as documented: undocumented status or content type, body against its schema.
SCHEMA_VIOLATION = {"ST103", "ST104", "ST105", "ST108", "ST109", "ST110", "ST111"}


def failures(junit: str) -> dict[str, list[str]]:
    """Operations (JUnit test cases) by failure kind, from a schemathesis JUnit report whose failure
    ``message`` lists the failure codes: "server error", "schema violation", "other"."""
    kinds: dict[str, list[str]] = {"server error": [], "schema violation": [], "other": []}
    for case in ET.fromstring(junit).iter("testcase"):
        name = case.get("name", "?")
        for outcome in [*case.iter("failure"), *case.iter("error")]:
            codes = {c.strip() for c in (outcome.get("message") or "").split(",") if c.strip()}
            if codes & SERVER_ERROR:
                kinds["server error"].append(name)
            if codes & SCHEMA_VIOLATION:
                kinds["schema violation"].append(name)
            if not codes & (SERVER_ERROR | SCHEMA_VIOLATION):
                kinds["other"].append(name)
    return {k: sorted(set(v)) for k, v in kinds.items()}


def run_role(ctx: Context, role: str, token: str, examples: int, seconds: int) -> tuple[dict[str, list[str]], int, str]:
    report = ctx.stack.workdir / f"schemathesis-{role}.xml"
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        f"{ctx.stack.base_url}/api/schema/",
        "-H",
        f"Authorization: Token {token}",
        "-H",
        "X-Forwarded-Proto: https",
        "--checks",
        CHECKS,
        "--max-examples",
        str(examples),
        "--max-time",
        str(seconds),
        "--seed",
        "12",
        "--workers",
        "2",
        "--no-color",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--phases",
        "examples,coverage,fuzzing",
    ]
    r = subprocess.run(cmd, cwd=ctx.stack.workdir, capture_output=True, text=True, timeout=seconds + 300, check=False)
    (ctx.stack.logs / f"schemathesis-{role}.log").write_text(r.stdout + r.stderr)
    if not report.exists():
        tail = (r.stdout + r.stderr).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"schemathesis ({role}) wrote no report: {tail[0][:200]}")
    root = ET.parse(report).getroot()
    tests = int(root.get("tests", 0) or sum(int(s.get("tests", 0)) for s in root.iter("testsuite")))
    return failures(report.read_text()), tests, r.stdout


def schemathesis_roles(ctx: Context) -> list[Row]:
    examples = int(ctx.size(50, 8))
    seconds = int(ctx.size(300, 30))
    rows = []
    for role in ROLES_FOR_SCHEMA:
        ctx.log(f"schemathesis as {role}: {examples} examples per operation, ≤{seconds}s")
        kinds, operations, _out = run_role(ctx, role, ctx.world.role_tokens[role], examples, seconds)
        figure = f"{operations} operations × ≤{examples} examples: " + "; ".join(
            f"{len(ops)} with {kind}{' (' + ', '.join(ops[:3]) + (' …' if len(ops) > 3 else '') + ')' if ops else ''}"
            for kind, ops in kinds.items()
        )
        rows.append(Row(f"schemathesis as {role}", figure, not kinds["server error"] and not kinds["schema violation"]))
    return rows


__all__ = ["ROOT", "schemathesis_roles"]
