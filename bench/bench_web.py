"""Staff pages benchmark: server time of the workbench list and of the case page, with 10,000 and
then 100,000 cases in the database.

    .venv/bin/python bench/bench_web.py --db postgres|sqlite [--sizes 10000,100000] [--n 200] [--rounds 3]

Target: p95 < 100 ms on PostgreSQL, and flat from 10k to 100k cases (for the workbench and the case
page; the leader's and the supervisor's pages are measured alongside, for information). Times are server time measured
in-process with Django's test client (no network, no browser), one request at a time, as a
logged-in town handler. The case pages measured are cases with a real history (parties, team,
session, instruction, notes) walked through the action layer; the load around them is inserted in
bulk (fengqiao/demo/bulk.py). PostgreSQL runs use their own database (BENCH_PG_URL, default
fengqiao_bench_web) so they never collide with the other benchmarks.

On a shared machine one round is noisy: ``--rounds 3`` measures each page three times at each size
(each round measures every page in turn) and reports the median of each figure over the rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import time
from typing import Any

from common import percentile, print_table, setup_django, summary, write_result

os.environ.setdefault("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/fengqiao_bench_web")

TARGET_P95_MS = 100
HISTORY_CASES = 30


def build_world() -> dict[str, Any]:
    """The county, a town handler (the one who browses), a leader, mediators, and cases with a
    realistic history in the handler's town."""
    from django.utils import timezone

    from fengqiao.cases.actions import Actor, perform, register_case
    from fengqiao.mediation.models import Mediator
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import RoleAssignment, Unit, User

    load_county("331024", grids_per_village=2)
    town = Unit.objects.get(code="331024103")
    sub = Unit.objects.get(parent=town, kind=UnitKind.SUBCENTRE)
    villages = list(Unit.objects.filter(parent=town, kind=UnitKind.VILLAGE).order_by("code")[:10])
    handler = User.objects.create_user("bench_handler", password="x-bench-pass-1", unit=sub, display_name="承办人")
    RoleAssignment.objects.create(user=handler, unit=town, role=Role.HANDLER)
    leader = User.objects.create_user("bench_leader", password="x-bench-pass-1", unit=town, display_name="镇长")
    RoleAssignment.objects.create(user=leader, unit=town, role=Role.LEADER)
    county = Unit.objects.get(code="331024")
    supervisor = User.objects.create_user("bench_supervisor", password="x-bench-pass-1", unit=county)
    RoleAssignment.objects.create(user=supervisor, unit=county, role=Role.SUPERVISOR)
    mediators = [
        Mediator.objects.create(name=f"调解员{i}", kind="people", unit=town, specialties=["0201"]) for i in range(5)
    ]
    h, lead = Actor.staff(handler), Actor.staff(leader)
    codes: list[str] = []
    held = (timezone.now() - dt.timedelta(hours=3)).isoformat()
    for i in range(HISTORY_CASES):
        case, _ = register_case(
            h,
            {
                "title": f"邻里纠纷{i}",
                "description": "楼上卫生间漏水到我家天花板，多次协商无果，要求赔偿并修复。",
                "channel": "walk_in",
                "category": "0203",
                "location_unit": villages[i % len(villages)].pk,
                "parties": [
                    {"role": "applicant", "name": "王小明", "phone": f"138{i:08d}", "id_number": ""},
                    {"role": "respondent", "name": "李大年", "phone": f"139{i:08d}"},
                ],
            },
            via="bench",
        )
        perform("accept", case, h)
        perform("assign_person", case, h, {"handler": handler.pk})
        perform("first_contact", case, h, {"method": "phone", "note": "已电话联系双方"})
        perform("attach_team", case, h, {"members": [{"mediator": mediators[i % 5].pk, "is_lead": True}]})
        perform("record_session", case, h, {"held_at": held, "place": "调解室", "notes": "双方陈述意见"})
        perform("instruct", case, lead, {"text": "请尽快化解，注意稳控"})
        for j in range(3):
            perform("note", case, h, {"text": f"跟进记录{j}"})
        codes.append(case.display_code)
    return {"handler": handler, "leader": leader, "supervisor": supervisor, "codes": codes, "town": town}


class Clock:
    """Per request: wall time, this process's CPU time (not inflated by waiting for a busy CPU or for
    the database) and time spent in database calls (via a connection execute wrapper)."""

    def __init__(self) -> None:
        self.db = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.db += time.perf_counter() - t

    def run(self, fn: Any, n: int, warmup: int = 5) -> dict[str, list[float]]:
        from django.db import connection

        for _ in range(warmup):
            fn()
        out: dict[str, list[float]] = {"wall": [], "cpu": [], "db": []}
        with connection.execute_wrapper(self):
            for _ in range(n):
                self.db = 0.0
                w, c = time.perf_counter(), time.process_time()
                fn()
                out["wall"].append((time.perf_counter() - w) * 1000)
                out["cpu"].append((time.process_time() - c) * 1000)
                out["db"].append(self.db * 1000)
        return out


def measure(world: dict[str, Any], n: int) -> tuple[dict[str, dict[str, list[float]]], dict[str, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(world["handler"])
    leader = Client()
    leader.force_login(world["leader"])
    supervisor = Client()
    supervisor.force_login(world["supervisor"])
    codes = itertools.cycle(world["codes"])

    def workbench() -> None:
        r = client.get("/staff/workbench/")
        assert r.status_code == 200, r.status_code

    def workbench_filtered() -> None:
        r = client.get("/staff/workbench/", {"state": "in_progress", "sort": "due_at"})
        assert r.status_code == 200, r.status_code

    def case_page() -> None:
        r = client.get(f"/staff/cases/{next(codes)}/")
        assert r.status_code == 200, r.status_code

    def leader_page() -> None:
        r = leader.get("/staff/leader/")
        assert r.status_code == 200, r.status_code

    def supervisor_page() -> None:
        r = supervisor.get("/staff/supervisor/")
        assert r.status_code == 200, r.status_code

    benches = {
        "workbench list (default)": workbench,
        "workbench list (state filter, by due date)": workbench_filtered,
        "case page (history, team, instruction)": case_page,
        "leader page (town leader)": leader_page,
        "supervisor page (county supervisor)": supervisor_page,
    }
    times: dict[str, dict[str, list[float]]] = {}
    queries: dict[str, int] = {}
    for name, fn in benches.items():
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries[name] = len(ctx.captured_queries)
        times[name] = Clock().run(fn, n)
    return times, queries


def analyze() -> None:
    from django.db import connection

    # Planner statistics, as autovacuum (PostgreSQL) or the embedded scheduler (SQLite) keep them.
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--sizes", default="10000,100000", help="total cases at each measuring point")
    parser.add_argument("--n", type=int, default=200, help="requests per measurement")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per size; the table shows their medians")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    setup_django(args.db)

    from fengqiao.cases.models import Case
    from fengqiao.demo.bulk import generate_cases

    world = build_world()
    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {"sizes": sizes, "n": args.n, "rounds": args.rounds, "generate_s": {}}
    for size in sizes:
        missing = size - Case.objects.count()
        t0 = time.perf_counter()
        if missing > 0:
            generate_cases(missing, seed=size)
        meta["generate_s"][size] = round(time.perf_counter() - t0, 1)
        analyze()
        in_town = Case.objects.filter(owner_path__startswith=world["town"].path).count()
        rounds = [measure(world, args.n) for _ in range(args.rounds)]
        for name in rounds[0][0]:
            per_round = [
                {
                    **summary(times[name]["wall"]),
                    "cpu_p50_ms": round(percentile(times[name]["cpu"], 50), 2),
                    "db_p50_ms": round(percentile(times[name]["db"], 50), 2),
                }
                for times, _queries in rounds
            ]
            rows.append(
                {
                    "bench": name,
                    "cases": size,
                    "town_cases": in_town,
                    "db": args.db,
                    "queries": rounds[0][1][name],
                    # The median over the rounds of each figure (one round: that round's figures).
                    "n": args.n,
                    **{k: round(statistics.median(r[k] for r in per_round), 2) for k in per_round[0] if k != "n"},
                    "rounds_p95_ms": [r["p95_ms"] for r in per_round],
                    "target_p95_ms": TARGET_P95_MS,
                }
            )
    meta["load_average"] = os.getloadavg()
    meta["cpus"] = os.cpu_count()
    print(f"load average {meta['load_average']} on {meta['cpus']} CPUs (the machine is shared: compare cpu/db)")
    print_table(
        rows,
        ["bench", "cases", "town_cases", "queries", "n", "p50_ms", "p95_ms", "p99_ms", "cpu_p50_ms", "db_p50_ms"]
        + (["rounds_p95_ms"] if args.rounds > 1 else []),
    )
    by = {(r["bench"], r["cases"]): r for r in rows}
    for name in {r["bench"] for r in rows}:
        first, last = by[(name, sizes[0])], by[(name, sizes[-1])]
        ratio = last["p95_ms"] / first["p95_ms"] if first["p95_ms"] else float("nan")
        verdict = "ok" if last["p95_ms"] < TARGET_P95_MS else "over target"
        print(f"{name}: p95 {first['p95_ms']} → {last['p95_ms']} ms (×{ratio:.2f}), {verdict}")
    path = write_result(f"web_{args.db}", rows, meta)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
