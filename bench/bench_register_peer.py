"""Registration side by side with django-helpdesk (issue #21): the peer's public ticket form against
Fengqiao's citizen form, same PostgreSQL, gunicorn 2 sync workers each (``--preload``), 8 clients,
seeded databases, alternating pairs.

    # once: the peer in its own virtualenv (not the project's, not committed)
    python3.11 -m venv /work/peer-venv && /work/peer-venv/bin/pip install django-helpdesk==2.6.1 gunicorn "psycopg[binary]"
    # Fengqiao's database seeded with bench/seed_scale.py (the harness runs it; it only adds what is missing)
    .venv/bin/python bench/bench_register_peer.py [--seed 100000] [--pairs 3] [--seconds 20] [--clients 8]

Fengqiao runs as deployed: a Redis broker (``--redis``), one Celery worker (triage after the commit,
the inbox fan-out) and the scheduler (SMS relay, audit chain); web workers load no triage model.
Each citizen request carries a session whose phone was verified before (as after the SMS check), a
distinct phone and a distinct text. The peer's form: queue, title, body, e-mail (distinct per request).

Per run: requests/s, p95, server CPU per created item (ticks from /proc of the gunicorn master and
workers, the database's backends of that application, and for Fengqiao the Celery worker and the
scheduler, counted until the triage of the run's last case is written), queries per request (one warm
request in-process under CaptureQueriesContext), peak RSS / PSS / USS per web worker
(/proc/<pid>/status VmHWM, smaps_rollup), triage completion p99 after registration, and nothing lost.
The load average (``uptime``) is printed next to every run: the machine is shared.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_project
from bench_inbound import free_port
from common import ROOT, percentile, print_table, run_clients, write_result

TICK = os.sysconf("SC_CLK_TCK")
CSRF = "b" * 32
TEXTS = [
    "隔壁新建的猪圈紧挨我家院墙，气味很大，多次协商没有结果，希望村里帮忙调解。",
    "工地拖欠我们十二个农民工三个月工资，约十八万元，老板一直推脱。",
    "小区电梯坏了两周没人修，物业不管，老人上下楼非常困难。",
    "两户人家为宅基地院墙的位置争吵多次，差点动手，请尽快来看看。",
]


# The periodic jobs a registration needs (what run-scheduler / beat run for it): the SMS relay, the audit
# chain, the fan-out catch-up. The others (evaluation, warnings, rollups, retraining, the sweep) are not
# registration work and their first round at start would take minutes on a seeded database.
JOBS = """
import time, django
django.setup()
from django.db import close_old_connections
from fengqiao.core.registry import JOBS
wanted = [JOBS[n] for n in ("relay", "audit chain", "fan-out catch-up")]
due = {}
while True:
    close_old_connections()
    for job in wanted:
        if time.monotonic() >= due.get(job.name, 0):
            due[job.name] = time.monotonic() + job.every
            job.run()
    time.sleep(0.5)
"""


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(x) for x in task.read_text().split()]
    return out


def memory(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM), and Rss / Pss / USS (private clean + dirty) from smaps_rollup, in MiB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            out[line.split(":")[0]] = int(line.split()[1]) / 1024
    roll = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        roll[name] = int(value.split()[0]) / 1024
    out["Pss"] = roll.get("Pss", 0.0)
    out["USS"] = roll.get("Private_Clean", 0.0) + roll.get("Private_Dirty", 0.0)
    return out


class CpuMeter:
    """Samples CPU ticks of a set of processes every 0.3 s (processes that come and go are kept at
    their last sample), by group: the web server tree, the background processes, the database's backends."""

    def __init__(self, roots: dict[str, list[int]], db: str, own_conn: Any) -> None:
        self.roots, self.db, self.conn = roots, db, own_conn
        self.seen: dict[int, tuple[str, int]] = {}
        self.start: dict[int, int] = {}

    def pids(self) -> list[tuple[str, int]]:
        out = [(g, q) for g, roots in self.roots.items() for r in roots for q in (r, *children(r))]
        with self.conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.db])
            out += [("db", row[0]) for row in cur.fetchall()]
        return out

    def sample(self) -> None:
        for group, pid in self.pids():
            t = ticks(pid)
            if t >= 0:
                self.seen[pid] = (group, t)

    def begin(self) -> None:
        self.seen = {}
        self.sample()
        self.start = {p: t for p, (_g, t) in self.seen.items()}

    def ms(self) -> dict[str, float]:
        self.sample()
        out: dict[str, float] = {}
        for p, (group, t) in self.seen.items():
            out[group] = out.get(group, 0.0) + (t - self.start.get(p, 0)) * 1000 / TICK
        return out


def sampler(meter: CpuMeter, stop: threading.Event) -> None:
    while not stop.is_set():
        meter.sample()
        stop.wait(0.3)


def wait_idle(pids: list[int], limit: float = 400) -> float:
    """Wait until these process trees use < 5 % of a core over 2 s (the scheduler's first round of
    periodic jobs — evaluation, warnings, sweep — runs at its start and is not registration work)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        tree = [q for p in pids for q in (p, *children(p))]
        a = sum(max(ticks(p), 0) for p in tree)
        time.sleep(2)
        if (sum(max(ticks(p), 0) for p in tree) - a) / TICK < 0.1:
            break
    return time.monotonic() - t0


def wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not start")


def gunicorn(binary: Path, app: str, port: int, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [str(binary), app, "-b", f"127.0.0.1:{port}", "-w", "2", "--worker-class", "sync", "--preload"]
    proc = subprocess.Popen([*cmd, "--log-level", "warning", "--timeout", "120"], cwd=cwd, env=env)
    wait_port(port, proc)
    return proc


# --- Fengqiao ---------------------------------------------------------------------------------------


def fq_env(url: str, redis: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": redis,
        "REDIS_URL": redis,
        "FENGQIAO_SMS_BACKEND": "fengqiao.notify.backends.ConsoleSMSBackend",
        "FENGQIAO_PORTAL_SUBMIT_PER_IP_HOUR": "100000000",
        "FENGQIAO_PORTAL_SUBMIT_PER_PHONE_DAY": "100000000",
        "FENGQIAO_DB_STATEMENT_TIMEOUT_MS": "0",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
    }


def fq_sessions(n: int) -> list[tuple[str, str]]:
    """``n`` sessions, each with its own phone verified 2 hours ahead (as after the SMS check)."""
    import datetime as dt

    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from fengqiao.portal import verify
    from fengqiao.portal.views import SESSION_KEY

    at = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    expire = timezone.now() + dt.timedelta(days=1)
    rows, out = [], []
    store = SessionStore()
    for _ in range(n):
        phone = f"137{secrets.randbelow(10**8):08d}"
        key = secrets.token_hex(16)
        data = store.encode({SESSION_KEY: {"hash": verify.phone_hash(phone), "at": at}})
        rows.append(Session(session_key=key, session_data=data, expire_date=expire))
        out.append((key, phone))
    Session.objects.bulk_create(rows, batch_size=2000)
    return out


def fq_form(village: str, i: int, phone: str) -> tuple[str, bytes]:
    body = {
        "csrfmiddlewaretoken": CSRF,
        "token": secrets.token_urlsafe(24),
        "unit": village,
        "website": "",
        "description": f"{TEXTS[i % len(TEXTS)]}（第{i}件）",
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


def fq_queries(village: str, session: tuple[str, str]) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(REMOTE_ADDR="127.0.0.1")
    client.cookies["sessionid"] = session[0]
    counts = []
    for i in range(2):  # the first warms the process caches
        path, body = fq_form(village, 10**6 + i, session[1])
        data = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        with CaptureQueriesContext(connection) as q:
            r = client.post(path, data)
        assert r.status_code == 302, r.content[:300]
        counts.append(len(q.captured_queries))
    return counts[-1]


def fq_outcome(since_id: int, successes: int, deadline: float) -> dict[str, Any]:
    """Wait (until ``deadline``) for the triage of every case of the run, then check nothing was lost."""
    from django.db import close_old_connections
    from django.db.models import Count

    from fengqiao.cases.models import Case, CaseEvent
    from fengqiao.notify.models import OutboundMessage

    close_old_connections()
    new = Case.objects.filter(pk__gt=since_id)
    while time.monotonic() < deadline:
        n = new.count()
        triaged = CaseEvent.objects.filter(case_id__gt=since_id, code="case.triage").count()
        unsent = OutboundMessage.objects.filter(case_id__gt=since_id).exclude(status="sent").count()
        if triaged >= n and not unsent:
            break
        time.sleep(0.5)
    n = new.count()
    reg = dict(CaseEvent.objects.filter(case_id__gt=since_id, code="case.register").values_list("case_id", "at"))
    tri = CaseEvent.objects.filter(case_id__gt=since_id, code="case.triage").values_list("case_id", "at")
    delays = [(at - reg[c]).total_seconds() * 1000 for c, at in tri if c in reg]
    twice = (
        CaseEvent.objects.filter(case_id__gt=since_id, code="case.triage")
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    msgs = OutboundMessage.objects.filter(case_id__gt=since_id)
    return {
        "created": n,
        "lost": successes - n,
        "triaged": len(delays),
        "triaged_twice": twice,
        "triage_p99_ms": round(percentile(delays, 99), 1) if delays else None,
        "triage_max_ms": round(max(delays), 1) if delays else None,
        "sms_sent": msgs.filter(status="sent").count(),
        "sms_not_sent": msgs.exclude(status="sent").count(),
        "sms_attempts_over_1": msgs.filter(attempts__gt=1).count(),
    }


# --- one run ------------------------------------------------------------------------------------------


def run(side: dict[str, Any], clients: int, seconds: float, meter: CpuMeter) -> dict[str, Any]:
    """One measured run of one side: load for ``seconds``, then (Fengqiao) wait for its background work."""
    counter = {"ok": 0}
    lock = threading.Lock()

    def one(conn: http.client.HTTPConnection, wid: int, i: int) -> tuple[float, str]:
        path, body, cookie = side["request"](i)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        t = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t) * 1000
        if resp.status != 302 or side["ok_location"] not in (resp.getheader("Location") or ""):
            return ms, f"{resp.status} {data[:160]!r}"
        with lock:
            counter["ok"] += 1
        return ms, ""

    before = side["count"]()
    load_before = load()
    meter.begin()
    stop = threading.Event()
    th = threading.Thread(target=sampler, args=(meter, stop), daemon=True)
    th.start()
    lat, errors, elapsed = run_clients(side["port"], clients, seconds, one)
    outcome = side["settle"](before, counter["ok"]) if side.get("settle") else {}
    stop.set()
    th.join()
    cpu = meter.ms()
    cpu_ms = sum(cpu.values())
    created = side["count"]() - before
    row = {
        "side": side["name"],
        "load": f"{load_before}→{load()}",
        "req_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "errors": len(errors),
        "ok": counter["ok"],
        "created": created,
        "lost": counter["ok"] - created,
        "cpu_ms_per_item": round(cpu_ms / created, 1) if created else None,
        **{f"cpu_{g}": round(v / created, 1) if created else None for g, v in sorted(cpu.items())},
        **{k: v for k, v in outcome.items() if k not in ("created", "lost")},
    }
    if errors:
        print(f"{side['name']}: {len(errors)} errors, first: {errors[0]}")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=100_000, help="cases / tickets in each database before the runs")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--peer-venv", default="/work/peer-venv")
    ap.add_argument("--db-prefix", default="perf_bench")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = ap.parse_args()
    fq_db, peer_db = f"{args.db_prefix}_fq", f"{args.db_prefix}_peer"
    fq_url = f"postgres://postgres@127.0.0.1:5432/{fq_db}"
    venv = Path(args.peer_venv)
    if not (venv / "bin" / "gunicorn").exists():
        print(f"skipped: no django-helpdesk virtualenv at {venv} (see this script's docstring)")
        return

    t = time.perf_counter()
    import psycopg

    try:
        with psycopg.connect(fq_url.replace("postgres://", "postgresql://")) as c:
            have = int(c.execute("SELECT count(*) FROM cases_case").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        have = 0
    if have < args.seed:  # seed_scale adds what is missing
        seed = [sys.executable, str(ROOT / "bench" / "seed_scale.py"), "--url", fq_url, "--cases", str(args.seed)]
        subprocess.run([*seed, "--addresses", "20000"], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    env = fq_env(fq_url, args.redis)
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from fengqiao.cases.models import Case
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import Unit

    villages = list(Unit.objects.filter(kind=UnitKind.VILLAGE, is_active=True).values_list("code", flat=True)[:50])
    sessions = fq_sessions(6000)
    fq_q = fq_queries(villages[0], sessions.pop())
    peer_root = peer_project.write(ROOT / "var" / "peer")
    peer_env = {**os.environ, "PYTHONPATH": str(peer_root), "PEER_DB": peer_db}
    for k in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        peer_env.pop(k, None)
    peer_env["DJANGO_SETTINGS_MODULE"] = "peerproj.settings"
    queue, peer_q = peer_project.prepare(peer_root, venv, peer_db, args.seed, peer_env)
    print(f"seeded {args.seed} cases / tickets in {time.perf_counter() - t:.0f}s (load {load()})")

    import redis as redis_lib

    redis_lib.Redis.from_url(args.redis).flushdb()  # this benchmark's own Redis database
    procs: list[subprocess.Popen[bytes]] = []
    fq_port, peer_port = free_port(), free_port()
    try:
        fq_web = gunicorn(ROOT / ".venv" / "bin" / "gunicorn", "fengqiao.wsgi", fq_port, ROOT, env)
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "celery"), "-A", "fengqiao", "worker", "-l", "warning", "-c", "1"],
            cwd=ROOT,
            env=env,
        )
        scheduler = subprocess.Popen([sys.executable, "-c", JOBS], cwd=ROOT, env=env)
        peer_web = gunicorn(venv / "bin" / "gunicorn", "peerproj.wsgi", peer_port, peer_root, peer_env)
        procs = [fq_web, worker, scheduler, peer_web]
        print(f"background idle after {wait_idle([worker.pid, scheduler.pid]):.0f}s", flush=True)
        n = {"i": 0}
        lock = threading.Lock()

        def fq_request(i: int) -> tuple[str, bytes, str]:
            with lock:
                n["i"] += 1
                key, phone = sessions[n["i"] % len(sessions)]
            path, body = fq_form(villages[i % len(villages)], i, phone)
            return path, body, f"sessionid={key}; csrftoken={CSRF}"

        def peer_request(i: int) -> tuple[str, bytes, str]:
            body = {
                "csrfmiddlewaretoken": CSRF,
                "queue": queue,
                "title": TEXTS[i % len(TEXTS)][:20],
                "body": f"{TEXTS[i % len(TEXTS)]}（第{i}件）",
                "submitter_email": f"p{i}-{secrets.token_hex(3)}@example.org",
                "priority": 3,
            }
            return "/helpdesk/tickets/submit/", urllib.parse.urlencode(body).encode(), f"csrftoken={CSRF}"

        peer_conn = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{peer_db}", autocommit=True)
        meter_conn = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{fq_db}", autocommit=True)

        def peer_tickets() -> int:
            with peer_conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM helpdesk_ticket")
                return int(cur.fetchone()[0])  # type: ignore[index]

        fq_case_ids = {"max": 0}

        def fq_count() -> int:
            return Case.objects.count()

        sides = {
            "fengqiao": {
                "name": "Fengqiao citizen form",
                "port": fq_port,
                "request": fq_request,
                "ok_location": "/receipt/",
                "count": fq_count,
                "settle": lambda before, ok: fq_outcome(fq_case_ids["max"], ok, time.monotonic() + 60),
            },
            "peer": {
                "name": "django-helpdesk public form",
                "port": peer_port,
                "request": peer_request,
                "ok_location": "/helpdesk/view/",
                "count": peer_tickets,
            },
        }
        meters = {
            "fengqiao": CpuMeter({"web": [fq_web.pid], "bg": [worker.pid, scheduler.pid]}, fq_db, meter_conn),
            "peer": CpuMeter({"web": [peer_web.pid]}, peer_db, meter_conn),
        }
        for name, side in sides.items():  # warm-up, not measured: templates, caches, connections
            for i in range(12):
                conn = http.client.HTTPConnection("127.0.0.1", side["port"], timeout=120)
                path, body, cookie = side["request"](10**7 + i)
                conn.request(
                    "POST",
                    path,
                    body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                resp = conn.getresponse()
                resp.read()
                if resp.status != 302:
                    raise SystemExit(f"{name} warm-up failed: HTTP {resp.status}")
        time.sleep(3)
        rows = []
        for pair in range(args.pairs):
            order = ["peer", "fengqiao"] if pair % 2 == 0 else ["fengqiao", "peer"]
            for name in order:
                if name == "fengqiao":
                    fq_case_ids["max"] = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                row = run(sides[name], args.clients, args.seconds, meters[name])
                row["pair"] = pair + 1
                rows.append(row)
                print(row, flush=True)
                time.sleep(2)
        mem = {}
        for name, proc in (("fengqiao", fq_web), ("peer", peer_web)):
            mem[name] = [memory(pid) for pid in children(proc.pid)]
        mem["celery"] = [memory(pid) for pid in [worker.pid, *children(worker.pid)]]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(rows, mem, {"fengqiao": fq_q, "peer": peer_q}, args)


def report(rows: list[dict[str, Any]], mem: dict[str, Any], queries: dict[str, int], args: Any) -> None:
    cols = [
        "pair",
        "side",
        "load",
        "req_per_s",
        "p50_ms",
        "p95_ms",
        "errors",
        "ok",
        "created",
        "lost",
        "cpu_ms_per_item",
        "cpu_web",
        "cpu_db",
        "cpu_bg",
        "triaged",
        "triaged_twice",
        "triage_p99_ms",
        "sms_sent",
        "sms_not_sent",
    ]
    print_table(rows, cols)
    summary = {}
    for name in ("Fengqiao citizen form", "django-helpdesk public form"):
        mine = [r for r in rows if r["side"] == name]
        summary[name] = {
            k: statistics.median(r[k] for r in mine if r.get(k) is not None)
            for k in ("req_per_s", "p95_ms", "cpu_ms_per_item")
            if any(r.get(k) is not None for r in mine)
        }
    print("medians:", summary)
    print("queries per request:", queries)
    for name, procs in mem.items():
        for m in procs:
            print(f"{name}: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in m.items()))
    write_result(
        "register_peer",
        rows,
        {
            "medians": summary,
            "queries": queries,
            "memory": mem,
            "seed": args.seed,
            "seconds": args.seconds,
            "clients": args.clients,
            "pairs": args.pairs,
            "note": "shared 2-core machine; load average per run",
        },
    )


if __name__ == "__main__":
    main()
