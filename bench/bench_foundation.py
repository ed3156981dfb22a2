"""Foundation benchmark: case creation through the API and listing 50 cases with 100,000 in the DB.

    .venv/bin/python bench/bench_foundation.py --db sqlite|postgres [--cases 100000]

Targets (issue 2): create p95 < 30 ms; list 50 of a unit with 100k cases p95 < 50 ms.
Times are server time measured in-process with Django's test client (no network), one at a time.
"""

from __future__ import annotations

import argparse
import itertools
import time

from common import print_table, setup_django, summary, timed, write_result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    setup_django(args.db)

    from django.db import connection
    from rest_framework.test import APIClient

    from fengqiao.demo.bulk import generate_cases
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import RoleAssignment, Unit, User

    load_county("331024", grids_per_village=2)
    county = Unit.objects.get(code="331024")
    town = Unit.objects.get(code="331024103")
    sub = Unit.objects.get(parent=town, kind=UnitKind.SUBCENTRE)
    village = Unit.objects.filter(parent=town, kind=UnitKind.VILLAGE).first()
    dispatcher = User.objects.create_user("bench_dispatcher", password="x-bench-pass-1", unit=sub)
    RoleAssignment.objects.create(user=dispatcher, unit=town, role=Role.DISPATCHER)
    county_user = User.objects.create_user("bench_county", password="x-bench-pass-1", unit=county)
    RoleAssignment.objects.create(user=county_user, unit=county, role=Role.DISPATCHER)

    t0 = time.perf_counter()
    # 100,000 cases across all town centres and departments; the bench town owns its share.
    generate_cases(args.cases)
    gen_s = time.perf_counter() - t0
    # Planner statistics, as autovacuum (PostgreSQL) or the embedded scheduler (SQLite) keep them.
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    town_cases = (
        __import__("fengqiao.cases.models", fromlist=["Case"])
        .Case.objects.filter(owner_path__startswith=town.path)
        .count()
    )

    client = APIClient()
    client.force_authenticate(dispatcher)
    counter = itertools.count()

    def create() -> None:
        i = next(counter)
        r = client.post(
            "/api/cases/",
            {
                "title": "邻里漏水纠纷",
                "description": f"楼上卫生间漏水到我家天花板，协商无果。编号{i}",
                "channel": "walk_in",
                "category": "0203",
                "location_unit": village.pk,
                "parties": [{"role": "applicant", "name": "王某", "phone": f"138{i % 100000000:08d}"}],
            },
            format="json",
        )
        assert r.status_code == 201, r.content

    create_ms = timed(create, args.n)

    def list_town() -> None:
        r = client.get("/api/cases/", {"page_size": 50})
        assert r.status_code == 200 and len(r.data["results"]) == 50

    list_ms = timed(list_town, args.n)
    county_client = APIClient()
    county_client.force_authenticate(county_user)

    def list_county_filtered() -> None:
        r = county_client.get("/api/cases/", {"page_size": 50, "state": "in_progress", "unit": town.pk})
        assert r.status_code == 200

    list2_ms = timed(list_county_filtered, args.n)

    rows = [
        {"bench": "create case (API, with first event)", "db": args.db, **summary(create_ms), "target_p95_ms": 30},
        {
            "bench": f"list 50 of town ({town_cases} cases of {args.cases})",
            "db": args.db,
            **summary(list_ms),
            "target_p95_ms": 50,
        },
        {"bench": "list 50, county user, state+unit filter", "db": args.db, **summary(list2_ms), "target_p95_ms": 50},
    ]
    print(f"generated {args.cases} cases in {gen_s:.1f}s on {args.db}")
    print_table(rows, ["bench", "db", "n", "p50_ms", "p95_ms", "p99_ms", "target_p95_ms"])
    write_result(f"foundation_{args.db}", rows, {"cases": args.cases, "generate_s": round(gen_s, 1)})


if __name__ == "__main__":
    main()
