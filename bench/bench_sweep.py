"""Supervision sweep at scale: 1,000,000 open cases on PostgreSQL.

    .venv/bin/python bench/bench_sweep.py [--db postgres] [--cases 1000000] [--crossing 20000]

Targets (issue 5): a full sweep < 60 s and a sweep with nothing to do < 2 s; memory reported.
The open cases are spread so that ``--crossing`` of them have just turned yellow (the sweep's real
load after a minute, an hour or a day of intake) and the rest have thresholds ahead; a second,
"catch-up" measurement lets ten times as many cross to show throughput.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
import tracemalloc

from common import print_table, setup_django, write_result


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--crossing", type=int, default=20_000)
    args = parser.parse_args()
    setup_django(args.db)
    from django.db import connection
    from django.utils import timezone

    from fengqiao.demo.bulk import generate_cases
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import RoleAssignment, Unit, User
    from fengqiao.supervision.sweep import sweep

    load_county("331024", grids_per_village=1)
    county = Unit.objects.get(code="331024")
    for i, town in enumerate(Unit.objects.filter(kind=UnitKind.TOWN)):
        leader = User.objects.create_user(f"leader{i}", password="x-bench-pass-1", unit=town, mobile=f"1390576{i:04d}")
        RoleAssignment.objects.create(user=leader, unit=town, role=Role.LEADER)
    head = User.objects.create_user("county_head", password="x-bench-pass-1", unit=county, mobile="13905760000")
    RoleAssignment.objects.create(user=head, unit=county, role=Role.LEADER)

    now = timezone.now()
    t0 = time.perf_counter()
    # Most cases are younger than 7 days (green, thresholds ahead); `crossing` of them are 7–8 days old.
    generate_cases(
        args.cases - args.crossing,
        days=6,
        open_only=True,
        with_events=False,
        batch=10000,
        now=now - dt.timedelta(hours=1),
    )
    generate_cases(
        args.crossing,
        days=1,
        open_only=True,
        with_events=False,
        batch=10000,
        seed=11,
        now=now - dt.timedelta(days=7, minutes=1),
    )
    gen_s = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")

    rows = []

    def measure(label: str, at: dt.datetime) -> None:
        import time_machine

        tracemalloc.start()
        start = time.perf_counter()
        with time_machine.travel(at, tick=True):
            report = sweep()
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "sweep": label,
                "seconds": round(seconds, 2),
                "changes": str(report),
                "peak_py_mb": round(peak / 1e6, 1),
                "rss_mb": round(rss_mb(), 1),
            }
        )

    measure(f"full sweep ({args.crossing} turn yellow)", now)
    measure("idle sweep (nothing to do)", now + dt.timedelta(seconds=5))
    measure("idle sweep again", now + dt.timedelta(seconds=10))
    print(f"{args.cases} open cases generated in {gen_s:.0f}s on {args.db}")
    print_table(rows, ["sweep", "seconds", "peak_py_mb", "rss_mb", "changes"])
    write_result(f"sweep_{args.db}", rows, {"open_cases": args.cases, "crossing": args.crossing})


if __name__ == "__main__":
    main()
