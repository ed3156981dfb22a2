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
import datetime as dt
import random
import time

from common import print_table, setup_django, summary, timed, write_result


def outcomes(rng: random.Random) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from fengqiao.cases.models import Case, CaseEvent
    from fengqiao.cases.workflow import State
    from fengqiao.mediation.models import Mediator, TeamMember
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, Unit, User

    towns = list(Unit.objects.filter(kind=UnitKind.TOWN))
    handlers = []
    for i, unit in enumerate(Unit.objects.filter(kind__in=[UnitKind.SUBCENTRE, UnitKind.DEPARTMENT])):
        u = User.objects.create_user(f"h{i}", password="x-bench-pass-1", unit=unit)
        RoleAssignment.objects.create(user=u, unit=unit, role=Role.HANDLER)
        handlers.append(u)
    by_unit = {u.unit_id: u.pk for u in handlers}
    mediators = Mediator.objects.bulk_create(
        [Mediator(name=f"调解员{i}", kind="people", unit=rng.choice(towns)) for i in range(300)]
    )
    now = timezone.now()
    done = {State.RESOLVED, State.CLOSED, State.ARCHIVED}
    counts = {"events": 0, "teams": 0}
    last = 0
    while True:
        rows = list(
            Case.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "created_at", "state", "owner_unit_id")[:5000]
        )
        if not rows:
            break
        last = rows[-1][0]
        updates, events, teams = [], [], []
        for pk, created, state, owner in rows:
            c = Case(pk=pk)
            c.accepted_at = created + dt.timedelta(hours=rng.uniform(0.5, 30))
            c.handler_id = by_unit.get(owner)
            c.resolved_at = c.closed_at = None
            c.satisfaction = ""
            if state in done:
                c.resolved_at = min(now, created + dt.timedelta(days=rng.uniform(0.5, 25)))
                c.matter_settled = c.grievance_settled = rng.random() < 0.8
                events.append(
                    CaseEvent(case_id=pk, code="case.resolve", at=c.resolved_at, actor_id=c.handler_id, via="bench")
                )
                if state != State.RESOLVED:
                    c.closed_at = min(now, c.resolved_at + dt.timedelta(hours=rng.uniform(1, 72)))
                    events.append(
                        CaseEvent(case_id=pk, code="case.close", at=c.closed_at, actor_id=c.handler_id, via="bench")
                    )
                    c.satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], [70, 22, 8])[0]
                    events.append(
                        CaseEvent(
                            case_id=pk,
                            code="case.rate",
                            at=c.closed_at + dt.timedelta(hours=2),
                            via="bench",
                            data={"satisfaction": c.satisfaction},
                        )
                    )
                if rng.random() < 0.2:
                    teams.append(TeamMember(case_id=pk, mediator=rng.choice(mediators), is_lead=True, added_at=created))
            updates.append(c)
        with transaction.atomic():
            Case.objects.bulk_update(
                updates,
                [
                    "accepted_at",
                    "handler_id",
                    "resolved_at",
                    "closed_at",
                    "satisfaction",
                    "matter_settled",
                    "grievance_settled",
                ],
                batch_size=1000,
            )
            CaseEvent.objects.bulk_create(events, batch_size=2000)
            TeamMember.objects.bulk_create(teams, batch_size=2000)
        counts["events"] += len(events)
        counts["teams"] += len(teams)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
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
    load_county("331024", grids_per_village=1)
    county = Unit.objects.get(code="331024")
    t0 = time.perf_counter()
    generate_cases(args.cases, days=args.days, now=timezone.now())
    extra = outcomes(rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    load_s = time.perf_counter() - t0
    leader = User.objects.create_user("county_head", password="x-bench-pass-1", unit=county)
    RoleAssignment.objects.create(user=leader, unit=county, role=Role.LEADER)
    month = periods.current_month().previous()
    in_month = Case.objects.filter(created_at__gte=month.start, created_at__lt=month.end).count()
    rows = []

    t = time.perf_counter()
    for kind in services.KINDS:
        services.compute_index(month, kind)
    rows.append(
        {"what": f"index {month.code}, towns + departments (recompute)", "seconds": round(time.perf_counter() - t, 2)}
    )

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
    pages = {
        "ranking page (stored scores)": f"/staff/evaluation/?kind=town&period={month.code}",
        "scorecard page (one town)": f"/staff/evaluation/units/{town.pk}/?period={month.code}",
        "drill-down page (按期办结率, one town)": f"/staff/evaluation/units/{town.pk}/metrics/ontime_rate/?period={month.code}",
        "API ranking": f"/api/evaluation/index/?period={month.code}",
    }
    timings = []
    for label, url in pages.items():
        assert client.get(url).status_code == 200, url
        s = summary(timed(lambda url=url: client.get(url), args.requests, warmup=2))
        timings.append({"page": label, **s})
    print_table(rows, ["what", "seconds"])
    print()
    print_table(timings, ["page", "n", "p50_ms", "p95_ms", "p99_ms"])
    meta = {
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
