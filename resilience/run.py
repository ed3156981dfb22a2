"""The resilience suite: start the suite's own servers, seed a county, run the scenarios, print
scenario → figure → PASS/FAIL. See docs/resilience-suite.md.

    .venv/bin/python -m resilience.run [--only steady,doors] [--quick] [--keep]

Exit status 1 when any scenario failed.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resilience.report import Row, error_row, format_table
from resilience.stack import Ports, Stack

Scenario = Callable[..., list[Row]]


def scenarios() -> dict[str, Scenario]:
    from resilience.scenarios import audit, doors, load, logs, outage, pitr, schema, sms

    # Destructive ones last: the database outage and the restore come after everything else.
    return {
        "steady": load.steady,
        "spike": load.spike,
        "doors": doors.login_doors,
        "smsflood": doors.sms_flood,
        "schema": schema.schemathesis_roles,
        "gateway": sms.gateway_and_relay,
        "audit": audit.tampering,
        "logs": logs.secrets_in_logs,
        "redis": outage.redis_outage,
        "database": outage.database_outage,
        "pitr": pitr.point_in_time_restore,
    }


def setup(stack: Stack, quick: bool) -> object:
    from resilience.context import Context
    from resilience.gateway import Gateway

    print(f"workdir {stack.workdir}", flush=True)
    stack.init_postgres()
    stack.start_redis()
    gateway = Gateway(stack.ports.gateway).start()
    os.environ.update(stack.env())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from resilience import world as world_mod

    t = time.monotonic()
    world = world_mod.build(users=40, bulk_cases=1000 if quick else 5000, history_cases=2 if quick else 4)
    print(f"seeded {world.cases} cases, {len(world.load_users)} load users in {time.monotonic() - t:.0f}s", flush=True)
    stack.start_web(workers=2)
    stack.start_worker()
    stack.start_beat()
    print(f"gunicorn ready after {stack.wait_ready():.0f}s", flush=True)
    from resilience.load import run_load

    # Warm-up, not measured: both workers load every page, the classifiers and their caches once.
    warm = run_load(stack.ports.web, world.load_users[:8], world.villages, 30 if quick else 120, clients=8, timeout=60)
    print(f"warm-up: {len(warm.hits)} requests, {warm.statuses().count(0)} unanswered", flush=True)
    return Context(stack, world, gateway, quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated scenario names: " + ", ".join(scenarios()))
    parser.add_argument("--quick", action="store_true", help="shortened durations (about 10 minutes in all)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs) after the run")
    args = parser.parse_args(argv)
    known = scenarios()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(known)
    unknown = [s for s in chosen if s not in known]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")

    from resilience import world as world_mod

    stack = Stack(ports=Ports())
    atexit.register(stack.close, args.keep)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[Row] = []
    started = time.monotonic()
    try:
        ctx = setup(stack, args.quick)
        for name in chosen:
            print(f"== {name}", flush=True)
            t = time.monotonic()
            try:
                world_mod.refresh_sessions(ctx.world)
                got = known[name](ctx)
            except Exception as exc:  # a scenario that breaks is a FAIL row, and the suite goes on
                got = [error_row(name, exc)]
            for row in got:
                print(f"  {row.verdict} {row.scenario}: {row.figure}", flush=True)
            print(f"  ({time.monotonic() - t:.0f}s)", flush=True)
            rows += got
    except Exception as exc:
        rows.append(error_row("setup", exc))
    finally:
        print(f"\nResilience suite ({'quick' if args.quick else 'full'}), {time.monotonic() - started:.0f}s:\n")
        print(format_table(rows), flush=True)
        if args.keep:
            print(f"logs kept in {stack.workdir}/logs")
        stack.close(args.keep)
    return 0 if rows and all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
