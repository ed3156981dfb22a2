"""Inbound system API under load: gunicorn + PostgreSQL, concurrent signed clients, requests/s.

    .venv/bin/python bench/bench_inbound.py [--seconds 20] [--clients 16] [--workers 2] [--db postgres]

Three mixes, each for ``--seconds``: new work orders (POST, each a new case through the action layer
with triage, one event, audit, nonce, inbound record), repeated work orders (POST of a reference that
already exists: verified, nonce recorded, answered "duplicate") and status polls (signed GET). Every
request is HMAC-signed with a fresh nonce, as a real system would send it. Target: >= 300 requests/s
sustained on a 2-core machine (the client threads run on the same machine and take their share).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, run_clients, setup_django, summary, write_result


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def small_county() -> list[Any]:
    """A county with its centre and 4 towns (each with a 综治中心) of 5 villages: the villages."""
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import Unit

    county = Unit.objects.create(code="331024", name="仙居县", kind=UnitKind.COUNTY)
    Unit.objects.create(code="331024-ZZZX", name="仙居县社会治理中心", kind=UnitKind.CENTRE, parent=county)
    villages = []
    for t in range(4):
        town = Unit.objects.create(code=f"3310241{t:02d}", name=f"第{t}镇", kind=UnitKind.TOWN, parent=county)
        Unit.objects.create(code=f"3310241{t:02d}-ZZZX", name=f"第{t}镇综治中心", kind=UnitKind.SUBCENTRE, parent=town)
        for v in range(5):
            villages.append(
                Unit.objects.create(
                    code=f"3310241{t:02d}2{v:02d}", name=f"第{t}镇{v}村", kind=UnitKind.VILLAGE, parent=town
                )
            )
    return villages


def build_world() -> dict[str, Any]:
    from fengqiao.channels.models import ExternalSystem

    villages = small_county()
    system = ExternalSystem.objects.create(code="hotline-12345", name="12345", kind="hotline")
    return {"key": system.key_id, "secret": str(system.secret), "villages": [u.code for u in villages]}


def start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "fengqiao.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("gunicorn did not start")


TEXTS = [
    "邻居家装修噪音扰民，晚上十点后仍在施工，多次沟通无果。",
    "工地拖欠农民工工资三个月，共计十二人约十八万元。",
    "小区物业不作为，电梯坏了两周没人修，老人上下楼困难。",
    "村里宅基地界址不清，两户人家为院墙位置发生争吵。",
]


def run_mix(mix: str, port: int, world: dict[str, Any], clients: int, seconds: float) -> dict[str, Any]:
    from fengqiao.channels import signing

    base_refs = [f"SEED-{i}" for i in range(200)]

    def one(conn: http.client.HTTPConnection, wid: int, i: int) -> tuple[float, str]:
        if mix == "poll":
            method, path, body = "GET", f"/api/v1/inbound/cases/{base_refs[i % len(base_refs)]}", b""
        else:
            ref = base_refs[i % len(base_refs)] if mix == "repeat" else f"{mix}-{wid}-{i}-{time.time_ns()}"
            payload = {
                "external_ref": ref,
                "description": TEXTS[i % len(TEXTS)],
                "name": "张三",
                "phone": f"138{i % 10**8:08d}",
                "location_code": world["villages"][i % len(world["villages"])],
            }
            method, path, body = "POST", "/api/v1/inbound/cases", json.dumps(payload, ensure_ascii=False).encode()
        headers = signing.sign_headers(world["key"], world["secret"], method, path, body)
        headers["Content-Type"] = "application/json"
        t = time.perf_counter()
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        resp.read()
        ms = (time.perf_counter() - t) * 1000
        ok = resp.status < 300 or (mix == "repeat" and resp.status == 200)
        return ms, "" if ok else str(resp.status)

    lat, errors, elapsed = run_clients(port, clients, seconds, one)
    row = {"bench": f"inbound {mix}", "db": "postgres", **summary(lat)}
    row["req_per_s"] = round(len(lat) / elapsed, 1)
    row["errors"] = len(errors)
    if errors:
        row["error_codes"] = sorted(set(errors))
    row["clients"] = clients
    row["target"] = ">= 300 req/s"
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", default="postgres")
    args = ap.parse_args()
    url = setup_django(args.db)
    world = build_world()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FENGQIAO_INPROCESS_TASKS": "thread",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
    }
    port = free_port()
    proc = start_server(port, args.workers, env)
    rows = []
    try:
        # seed the references the "repeat" and "poll" mixes use
        from fengqiao.cases.models import Case
        from fengqiao.channels import signing

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(200):
            body = json.dumps({"external_ref": f"SEED-{i}", "description": TEXTS[i % 4]}, ensure_ascii=False).encode()
            h = signing.sign_headers(world["key"], world["secret"], "POST", "/api/v1/inbound/cases", body)
            h["Content-Type"] = "application/json"
            conn.request("POST", "/api/v1/inbound/cases", body=body, headers=h)
            conn.getresponse().read()
        for mix in ("create", "repeat", "poll"):
            rows.append(run_mix(mix, port, world, args.clients, args.seconds))
        cases = Case.objects.count()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print_table(rows, ["bench", "db", "clients", "n", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "target"])
    print(f"cases in database: {cases}")
    write_result(
        "inbound",
        rows,
        {"seconds": args.seconds, "workers": args.workers, "cpus": os.cpu_count(), "note": "shared 2-core machine"},
    )


if __name__ == "__main__":
    main()
