"""Citizen portal under load: gunicorn + PostgreSQL, concurrent phone clients.

    .venv/bin/python bench/bench_portal.py [--seconds 15] [--clients 8] [--workers 2] [--profile]

Two mixes, each for ``--seconds``:

* submit — POST /portal/u/<village>/ with the full form (description, type, address, name, the other
  party, consent, CSRF token, a fresh form token). Each client holds a session whose phone was already
  verified (written by the benchmark, as after a real SMS check), so SMS verification is excluded as
  the issue asks; everything else runs: form validation, rate-limit counts, the action layer
  (register_case with whatever triage is installed, party encryption, event, audit), the submission
  row and the outbox SMS written in the same transaction. The redirect to the receipt is not followed.
  All clients come from 127.0.0.1, so the per-IP/per-phone caps are lifted through
  FENGQIAO_PORTAL_SUBMIT_PER_IP_HOUR / _PER_PHONE_DAY (their COUNT queries still run).
* track — GET /portal/t/<secret>/ of 200 cases (timeline of public events, handler, unit).

Targets (issue 4): >= 400 submissions/s, tracking p95 < 50 ms. The clients run on the same 2-core
machine as gunicorn and PostgreSQL (and, when measured, other people's work).
``--profile`` instead runs 200 submissions in-process under cProfile and counts SQL queries per submission.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_inbound import free_port, small_county, start_server
from common import print_table, run_clients, setup_django, summary, write_result

TEXTS = [
    "隔壁新建的猪圈紧挨我家院墙，气味很大，多次协商没有结果，希望村里帮忙调解。",
    "工地拖欠我们十二个农民工三个月工资，约十八万元，老板一直推脱。",
    "小区电梯坏了两周没人修，物业不管，老人上下楼非常困难。",
    "两户人家为宅基地院墙的位置争吵多次，差点动手，请尽快来看看。",
]
CSRF = "a" * 32


def build_world(n_sessions: int) -> dict[str, Any]:
    import datetime as dt

    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from fengqiao.cases.actions import Actor, register_case
    from fengqiao.portal import verify
    from fengqiao.portal.views import SESSION_KEY

    villages = small_county()
    sessions = []
    for i in range(n_sessions):
        phone = f"139{i:08d}"
        store = SessionStore()
        store[SESSION_KEY] = {
            "hash": verify.phone_hash(phone),
            "at": (timezone.now() + dt.timedelta(hours=2)).isoformat(),
        }
        store.create()
        sessions.append((store.session_key, phone))
    secrets_ = []
    for i in range(200):
        case, _ = register_case(
            Actor.citizen(),
            {
                "title": TEXTS[i % 4][:20],
                "description": TEXTS[i % 4],
                "channel": "qr",
                "location_unit": villages[i % len(villages)].pk,
                "parties": [{"role": "applicant", "name": "王先生", "phone": f"138{i:08d}"}],
            },
            via="portal",
        )
        secrets_.append(case.tracking_secret)
    return {"villages": [u.code for u in villages], "sessions": sessions, "secrets": secrets_}


def form(world: dict[str, Any], i: int, phone: str) -> tuple[str, bytes]:
    village = world["villages"][i % len(world["villages"])]
    body = {
        "csrfmiddlewaretoken": CSRF,
        "token": secrets.token_urlsafe(24),
        "unit": village,
        "website": "",
        "description": TEXTS[i % len(TEXTS)],
        "title": "",
        "category": "",
        "address_text": f"{i % 9 + 1}组{i % 40 + 1}号",
        "name": "王先生",
        "respondent_name": "李某",
        "respondent_phone": "",
        "phone": phone,
        "sms_code": "",
        "consent": "on",
        "action": "submit",
    }
    return f"/portal/u/{village}/", urllib.parse.urlencode(body).encode()


def run_mix(mix: str, port: int, world: dict[str, Any], clients: int, seconds: float) -> dict[str, Any]:
    def one(conn: http.client.HTTPConnection, wid: int, i: int) -> tuple[float, str]:
        session, phone = world["sessions"][wid]
        if mix == "submit":
            path, body = form(world, i, phone)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            }
            t = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            ok = 302
        else:
            path = f"/portal/t/{world['secrets'][i % len(world['secrets'])]}/"
            t = time.perf_counter()
            conn.request("GET", path)
            ok = 200
        resp = conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t) * 1000
        if resp.status != ok or (mix == "submit" and "/receipt/" not in (resp.getheader("Location") or "")):
            return ms, f"{resp.status} {data[:200]!r}"
        return ms, ""

    lat, errors, elapsed = run_clients(port, clients, seconds, one)
    if errors:
        print(f"{mix}: {len(errors)} errors, first: {errors[0]}")
    row = {"bench": f"portal {mix}", "db": "postgres", "clients": clients, **summary(lat)}
    row["req_per_s"] = round(len(lat) / elapsed, 1)
    row["errors"] = len(errors)
    row["target"] = ">= 400/s" if mix == "submit" else "p95 < 50 ms"
    return row


def profile(world: dict[str, Any], n: int = 200) -> None:
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    session, phone = world["sessions"][0]
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.cookies["sessionid"] = session
    counts = []
    prof = cProfile.Profile()
    for i in range(n):
        path, body = form(world, i, phone)
        data = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        with CaptureQueriesContext(connection) as q:
            prof.enable()
            r = client.post(path, data)
            prof.disable()
        assert r.status_code == 302, r.content[:500]
        counts.append(len(q.captured_queries))
    print(f"SQL queries per submission: min {min(counts)} max {max(counts)}")
    for sql in q.captured_queries:
        print("   ", sql["sql"][:150])
    pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    os.environ["FENGQIAO_PORTAL_SUBMIT_PER_IP_HOUR"] = "100000000"
    os.environ["FENGQIAO_PORTAL_SUBMIT_PER_PHONE_DAY"] = "100000000"
    url = setup_django("postgres")
    import logging

    logging.getLogger("fengqiao.sms").setLevel(logging.WARNING)
    world = build_world(max(args.clients, 1))
    if args.profile:
        profile(world)
        return
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FENGQIAO_INPROCESS_TASKS": "thread",
        "FENGQIAO_SMS_BACKEND": "fengqiao.notify.backends.ConsoleSMSBackend",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
    }
    port = free_port()
    proc = start_server(port, args.workers, env)
    rows = []
    try:
        # Warm-up (not measured): each worker loads its models and templates on its first requests.
        t = time.perf_counter()
        for i in range(args.workers * 6):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            session, phone = world["sessions"][0]
            path, body = form(world, i, phone)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            }
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status != 302:
                raise SystemExit(f"warm-up submission failed: HTTP {resp.status}")
        print(f"warm-up: {args.workers * 6} submissions in {time.perf_counter() - t:.1f}s")
        for mix in ("submit", "track"):
            rows.append(run_mix(mix, port, world, args.clients, args.seconds))
        from fengqiao.cases.models import Case
        from fengqiao.notify.models import OutboundMessage

        cases, sms = Case.objects.count(), OutboundMessage.objects.count()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print_table(rows, ["bench", "db", "clients", "n", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "target"])
    print(f"cases in database: {cases}, outbox messages: {sms}")
    write_result(
        "portal",
        rows,
        {
            "seconds": args.seconds,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "note": "shared 2-core machine; clients on the same machine; SMS verification excluded",
        },
    )


if __name__ == "__main__":
    main()
