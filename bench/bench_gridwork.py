"""The grid worker's home page with 10,000 cases in the town (issue 19: < 300 ms p95 on a phone-sized
request), the town's view of the same grid and the town's supervision page; and one patrol of 500
check-ins sent twice (the resend after a dropped connection) through the batch API.

    .venv/bin/python bench/bench_gridwork.py [--db postgres|sqlite] [--cases 10000] [--runs 60]

The town has 20 villages × 3 grids; cases are spread over its grids (a third open), bulk-inserted as
a fixture (the action layer is not what is measured here). Requests go through Django's test client
with a signed-in session, so the figures include middleware, scoping, queries and template rendering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import time

from common import print_table, setup_django, summary, timed, write_result


def build(n_cases: int, rng: random.Random) -> dict[str, object]:
    from django.utils import timezone

    from fengqiao.cases.models import Case
    from fengqiao.gridwork import actions
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, Unit, User

    county = Unit.objects.create(code="B331024", name="仙居县", kind=UnitKind.COUNTY)
    town = Unit.objects.create(code="B331024103", name="白塔镇", kind=UnitKind.TOWN, parent=county)
    sub = Unit.objects.create(code="B331024103-Z", name="白塔镇综治中心", kind=UnitKind.SUBCENTRE, parent=town)
    grids = []
    for v in range(20):
        village = Unit.objects.create(code=f"B{v:03d}", name=f"第{v + 1}村", kind=UnitKind.VILLAGE, parent=town)
        for g in range(3):
            grids.append(
                Unit.objects.create(
                    code=f"B{v:03d}-G{g}", name=f"第{v + 1}村第{g + 1}网格", kind=UnitKind.GRID, parent=village
                )
            )
    worker = User.objects.create_user("bench_gw", password="x", unit=grids[0])
    RoleAssignment.objects.create(user=worker, unit=grids[0], role=Role.GRID_WORKER)
    leader = User.objects.create_user("bench_ld", password="x", unit=town)
    RoleAssignment.objects.create(user=leader, unit=town, role=Role.LEADER)
    now = timezone.now()
    rows = []
    for i in range(n_cases):
        grid = grids[i % len(grids)]
        open_ = rng.random() < 1 / 3
        created = now - dt.timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
        c = Case(
            title=f"纠纷{i}",
            description="基准测试案件",
            channel="grid",
            owner_unit=grid if rng.random() < 0.5 else sub,
            location_unit=grid,
            state="in_progress" if open_ else "closed",
            created_at=created,
            due_at=created + dt.timedelta(days=30),
            resolved_at=None if open_ else created + dt.timedelta(days=5),
            level=1,
        )
        c.fill_paths()
        rows.append(c)
    Case.objects.bulk_create(rows, batch_size=2000)
    for d in range(10):
        with_time = now - dt.timedelta(days=d, hours=2)
        p = actions.start_patrol(
            worker, grids[0], {"client_id": secrets.token_hex(8), "started_at": with_time.isoformat()}
        )
        for k in range(6):
            at = (with_time + dt.timedelta(minutes=5 * k)).isoformat()
            actions.check_in(worker, p, {"client_id": secrets.token_hex(8), "at": at, "lat": 28.85, "lon": 120.73})
        actions.stop_patrol(worker, p, {"ended_at": (with_time + dt.timedelta(hours=1)).isoformat()})
    for k in range(30):
        due = str(timezone.localdate() + dt.timedelta(days=k % 10))
        data = {"subject_kind": "household", "subject_name": f"住户{k}", "purpose": "入户走访", "due_date": due}
        actions.plan_visit(worker, grids[0], data)
    return {"grid": grids[0], "worker": worker, "leader": leader, "town": town}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgres")
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    url = setup_django(args.db)
    rng = random.Random(19)
    t = time.perf_counter()
    w = build(args.cases, rng)
    built = time.perf_counter() - t
    from django.test import Client
    from django.utils import timezone

    from fengqiao.gridwork.models import CheckIn, Patrol

    gw, ld = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile"), Client()
    gw.force_login(w["worker"])
    ld.force_login(w["leader"])
    grid = w["grid"]

    def home(c: Client) -> None:
        r = c.get(f"/staff/grid/{grid.pk}/")  # type: ignore[attr-defined]
        assert r.status_code == 200, r.status_code

    def supervision() -> None:
        assert ld.get("/staff/grid/supervision/").status_code == 200

    rows = [
        {"what": "网格员首页（网格员）", **summary(timed(lambda: home(gw), args.runs))},
        {"what": "网格首页（镇领导查看）", **summary(timed(lambda: home(ld), args.runs))},
        {"what": "网格督导（全镇60个网格）", **summary(timed(supervision, max(10, args.runs // 3)))},
    ]
    # 500 check-ins: first upload drops after 200, then the whole queue is resent.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(w["worker"])
    began = (timezone.now() - dt.timedelta(minutes=50)).isoformat()
    p = api.post(
        "/api/grid/patrols/", {"grid": grid.pk, "client_id": secrets.token_hex(8), "started_at": began}, format="json"
    ).json()
    start = timezone.now() - dt.timedelta(minutes=45)
    queue = [
        {
            "client_id": secrets.token_hex(8),
            "at": (start + dt.timedelta(seconds=5 * i)).isoformat(),
            "lat": 28.85,
            "lon": 120.73,
        }
        for i in range(500)
    ]
    t0 = time.perf_counter()
    first = api.post(f"/api/grid/patrols/{p['id']}/checkins/", {"checkins": queue[:200]}, format="json").json()
    t1 = time.perf_counter()
    again = api.post(f"/api/grid/patrols/{p['id']}/checkins/", {"checkins": queue}, format="json").json()
    t2 = time.perf_counter()
    saved = CheckIn.objects.filter(patrol_id=p["id"]).count()
    assert saved == 500 == Patrol.objects.get(pk=p["id"]).checkin_count, saved
    load = os.getloadavg()
    meta = {
        "db": url.split("@")[-1],
        "cases": args.cases,
        "build_s": round(built, 1),
        "batch_first_200_s": round(t1 - t0, 2),
        "batch_resend_500_s": round(t2 - t1, 2),
        "batch_result": {"first": first, "again": again, "saved": saved},
        "loadavg": [round(x, 2) for x in load],
    }
    print_table(rows, ["what", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms"])
    print(meta)
    write_result("gridwork", rows, meta)


if __name__ == "__main__":
    main()
