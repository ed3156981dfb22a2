"""Evaluation at scale on PostgreSQL: the month's 矛调指数 for the whole county, the ranking,
scorecard and drill-down pages, and the points ledger rebuilt from the events.

    .venv/bin/python bench/bench_evaluation.py [--db postgres] [--cases 100000] [--days 365] [--requests 20]

Targets (issue 14, at 3.3 million cases): page p95 < 1 s, one month's index < 60 s, ledger rebuild
< 5 min. The cases are spread over ``--days`` days; the measured month is the last complete one.
Outcomes are written onto the generated cases in bulk (accepted, first contact, resolved, closed,
rated, a handler, a mediation team for one case in five) with their resolve/close/rate events, so
every metric and every points rule has data.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import time
from typing import Any

from common import print_table, setup_django, summary, timed, write_result

OUTCOME_SQL = [
    # one handler per owner unit
    """UPDATE cases_case c SET handler_id = u.id FROM org_user u WHERE u.unit_id = c.owner_unit_id
       AND u.username LIKE 'h%%'""",
    "UPDATE cases_case SET accepted_at = created_at + random() * 30 * interval '1 hour'",
    """UPDATE cases_case SET resolved_at = least(now(), created_at + (0.5 + random() * 25) * interval '1 day'),
       matter_settled = random() < 0.85, grievance_settled = random() < 0.8
       WHERE state IN ('resolved', 'closed', 'archived')""",
    """UPDATE cases_case SET closed_at = least(now(), resolved_at + random() * 72 * interval '1 hour'),
       satisfaction = (ARRAY['satisfied','satisfied','satisfied','satisfied','satisfied','satisfied','satisfied',
                             'basic','basic','unsatisfied'])[1 + floor(random() * 10)::int]
       WHERE state IN ('closed', 'archived')""",
    """INSERT INTO mediation_teammember (case_id, mediator_id, is_lead, reason, added_at)
       SELECT c.id, %(m0)s + (c.id %% %(mn)s), true, '', c.created_at FROM cases_case c
       WHERE c.resolved_at IS NOT NULL AND random() < 0.2""",
]
EVENT_SQL = """INSERT INTO cases_caseevent (case_id, code, actor_id, actor_role, via, at, state_before, state_after,
       before, after, reason, data, public, version)
       SELECT id, %(code)s, {actor}, '', 'bench', {at}, '', '', '{{}}', '{{}}', '', {data}, false, 1
       FROM cases_case WHERE {where}"""
EVENTS = [
    ("case.resolve", "handler_id", "resolved_at", "'{}'", "resolved_at IS NOT NULL"),
    ("case.close", "handler_id", "closed_at", "'{}'", "closed_at IS NOT NULL"),
    (
        "case.rate",
        "NULL",
        "closed_at + interval '2 hours'",
        "json_build_object('satisfaction', satisfaction)",
        "satisfaction <> ''",
    ),
]


def outcomes(rng: random.Random) -> dict[str, int]:
    """Outcomes written in bulk with SQL (PostgreSQL): fixture loading for the measurement only."""
    from django.db import connection, transaction

    from fengqiao.cases.models import CaseEvent
    from fengqiao.mediation.models import Mediator, TeamMember
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, Unit, User

    towns = list(Unit.objects.filter(kind=UnitKind.TOWN))
    for i, unit in enumerate(Unit.objects.filter(kind__in=[UnitKind.SUBCENTRE, UnitKind.DEPARTMENT])):
        u = User.objects.create_user(f"h{i}", password="x-bench-pass-1", unit=unit)
        RoleAssignment.objects.create(user=u, unit=unit, role=Role.HANDLER)
    mediators = Mediator.objects.bulk_create(
        [Mediator(name=f"调解员{i}", kind="people", unit=rng.choice(towns)) for i in range(300)]
    )
    ids = sorted(m.pk for m in mediators)
    assert ids[-1] - ids[0] == len(ids) - 1
    before = CaseEvent.objects.count()
    with transaction.atomic(), connection.cursor() as cur:
        for sql in OUTCOME_SQL:
            cur.execute(sql, {"m0": ids[0], "mn": len(ids)} if "%(" in sql else None)
        for code, actor, at, data, where in EVENTS:
            cur.execute(EVENT_SQL.format(actor=actor, at=at, data=data, where=where), {"code": code})
    return {"events": CaseEvent.objects.count() - before, "teams": TeamMember.objects.count()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--reuse", default="", help="a database seeded by bench/seed_scale.py (not dropped)")
    parser.add_argument("--skip-points", action="store_true", help="leave out the ledger rebuild")
    parser.add_argument("--pages-only", action="store_true", help="only the pages (the index already stored)")
    args = parser.parse_args()
    if args.reuse:
        import seed_scale

        seed_scale.reuse(args.reuse)
    else:
        setup_django(args.db)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from fengqiao.cases.models import Case, CaseEvent
    from fengqiao.demo.bulk import generate_cases
    from fengqiao.evaluation import periods, points, services
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import RoleAssignment, Unit, User

    setup_test_environment()
    rng = random.Random(14)
    t0 = time.perf_counter()
    if args.reuse:
        import seed_scale

        leader: Any = seed_scale.leader("county_head")
        extra = {"events": 0, "teams": 0}
        args.cases = Case.objects.count()
    else:
        load_county("331024", grids_per_village=1)
        county = Unit.objects.get(code="331024")
        generate_cases(args.cases, days=args.days, now=timezone.now())
        extra = outcomes(rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        leader = User.objects.create_user("county_head", password="x-bench-pass-1", unit=county)
        RoleAssignment.objects.create(user=leader, unit=county, role=Role.LEADER)
    load_s = time.perf_counter() - t0
    month = periods.current_month().previous()
    in_month = Case.objects.filter(created_at__gte=month.start, created_at__lt=month.end).count()
    rows = []

    def load_now() -> str:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average: ")[-1]

    from fengqiao.evaluation import sums

    if not args.pages_only:
        sums.invalidate()  # the cases were loaded in bulk (no signals): build the sums afresh
    for label, period in () if args.pages_only else (("last month", month), ("running month", periods.current_month())):
        now = timezone.now()
        t = time.perf_counter()
        services.compute_index(period, "town", now=now)
        t1 = time.perf_counter() - t
        services.compute_index(period, "department", now=now)
        rows.append(
            {
                "what": f"index {period.code} ({label}), towns: sums built + scored",
                "seconds": round(t1, 2),
                "load": load_now(),
            }
        )
        rows.append(
            {
                "what": f"index {period.code} ({label}), departments from the same build",
                "seconds": round(time.perf_counter() - t - t1, 2),
                "load": load_now(),
            }
        )
    t = time.perf_counter()
    if not args.pages_only:
        services.compute_index(month, "town")
        rows.append(
            {
                "what": f"index {month.code}, towns, clean build reused",
                "seconds": round(time.perf_counter() - t, 2),
                "load": load_now(),
            }
        )
    if rows:
        print_table(rows, ["what", "seconds", "load"])  # before the pages, which can take long at 1 M

    if not args.skip_points and not args.pages_only:
        t = time.perf_counter()
        report = points.rebuild(from_scratch=True)
        rows.append(
            {
                "what": f"points ledger rebuilt from scratch ({report.events} events → {report.total_entries} entries)",
                "seconds": round(time.perf_counter() - t, 2),
            }
        )
        t = time.perf_counter()
        again = points.rebuild()
        rows.append(
            {
                "what": f"points ledger re-derived, idempotent (added {again.added})",
                "seconds": round(time.perf_counter() - t, 2),
            }
        )

    client = Client()
    client.force_login(leader)
    town = Unit.objects.filter(kind=UnitKind.TOWN).order_by("code").first()
    assert town is not None
    county = Unit.objects.filter(kind=UnitKind.COUNTY).order_by("code").first()
    assert county is not None
    drill = f"/staff/evaluation/units/{{}}/metrics/{{}}/?period={month.code}"
    pages = {
        "ranking page (stored scores)": f"/staff/evaluation/?kind=town&period={month.code}",
        "scorecard page (one town)": f"/staff/evaluation/units/{town.pk}/?period={month.code}",
        "drill-down page (按期办结率, one town)": drill.format(town.pk, "ontime_rate"),
        "drill-down page (按期办结率, one town, page 20)": drill.format(town.pk, "ontime_rate") + "&page=20",
        "drill-down page (调处成功率, one town)": drill.format(town.pk, "success_rate"),
        "drill-down page (办结率, one town)": drill.format(town.pk, "completion_rate"),
        "drill-down page (群众满意率, one town)": drill.format(town.pk, "satisfaction_rate"),
        "drill-down page (就地化解率 by place, one town)": drill.format(town.pk, "local_rate"),
        "drill-down page (重复访率 by place, one town)": drill.format(town.pk, "repeat_rate"),
        "drill-down page (响应率, one town)": drill.format(town.pk, "response_rate"),
        "drill-down page (按期办结率, the county)": drill.format(county.pk, "ontime_rate"),
        "API ranking": f"/api/evaluation/index/?period={month.code}",
    }
    timings = []
    for label, url in pages.items():
        assert client.get(url).status_code == 200, url
        s = summary(timed(lambda url=url: client.get(url), args.requests, warmup=2))
        timings.append({"page": label, **s, "load": load_now()})
    if rows:
        print_table(rows, ["what", "seconds", "load"])
    print()
    print_table(timings, ["page", "n", "p50_ms", "p95_ms", "p99_ms", "load"])
    meta = {
        "load": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "db": connection.vendor,
        "cases": args.cases,
        "days": args.days,
        "cases_in_month": in_month,
        "events": CaseEvent.objects.count(),
        "outcome_events": extra["events"],
        "team_members": extra["teams"],
        "load_seconds": round(load_s, 1),
    }
    print(meta)
    write_result("evaluation", rows + timings, meta)


if __name__ == "__main__":
    main()
