"""A fast seeder for the evaluation and atlas benchmarks at millions of cases (PostgreSQL only).

    .venv/bin/python bench/seed_scale.py --url postgres://postgres@127.0.0.1:5432/fq_scale_bench \
        --cases 1000000 [--addresses 1000000] [--fresh]

Run again with a larger ``--cases`` to grow the same database (it adds the missing cases), so one
database can be measured at two sizes. Everything is generated in SQL (``INSERT … SELECT`` over
``generate_series`` in chunks), not through the action layer: this is fixture loading for
measurements, like ``fengqiao/demo/bulk.py`` and ``fengqiao/atlas/synth.py``.

Distributions (as synth.py): grids weighted 1–7 (busier towns), 85 % owned by the town's
sub-centre and 15 % by a county department, registration time skewed towards the present over
``--days``; a case older than 20 days is concluded (90 % 化解, 10 % referred), 2 % withdrawn, 60 %
of the resolved closed and rated (60/20/6/14 满意/基本满意/不满意/未评); open ones coloured by
age; one handler per owner unit; a mediation team for one case in five; the resolve / close /
rate events each of those facts implies (the points ledger's input).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 100_000
CHANNELS = [
    ("grid", 30),
    ("walk_in", 20),
    ("hotline", 18),
    ("phone", 10),
    ("qr", 8),
    ("police", 6),
    ("court", 4),
    ("petition", 4),
]

CASE_SQL = """
WITH base AS (
  SELECT s,
    1 + floor(random() * %(gn)s)::int AS gi,
    1 + floor(random() * %(cn)s)::int AS ci,
    1 + floor(random() * %(dn)s)::int AS di,
    (%(chans)s::text[])[1 + floor(random() * 100)::int] AS channel,
    %(now)s::timestamptz - power(random(), 1.3) * %(days)s * interval '1 day' AS created,
    random() AS r_done, random() AS r_owner, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
    random() AS r6, random() AS r7
  FROM generate_series(%(lo)s, %(hi)s) s
), b AS (
  SELECT base.*, extract(epoch FROM %(now)s::timestamptz - created) / 86400.0 AS age FROM base
), c AS (
  SELECT b.*, g.grid_id, g.grid_path, g.lat0, g.lon0, g.lat1, g.lon1,
    CASE WHEN r_owner < 0.85 OR %(dn)s = 0 THEN g.owner_id ELSE d.owner_id END AS owner_id,
    CASE WHEN r_owner < 0.85 OR %(dn)s = 0 THEN g.owner_path ELSE d.owner_path END AS owner_path,
    CASE WHEN r_owner < 0.85 OR %(dn)s = 0 THEN g.handler_id ELSE d.handler_id END AS handler_id,
    k.cat_id, k.domain_id, k.cat_name,
    (age > 20 OR r_done < least(0.9, age / 25)) AS done,
    r5 < 0.02 AS withdrawn
  FROM b JOIN seed_grid g ON g.idx = b.gi JOIN seed_cat k ON k.idx = b.ci
  LEFT JOIN seed_dept d ON d.idx = b.di
), e AS (
  SELECT c.*,
    CASE WHEN withdrawn OR NOT done THEN NULL
         ELSE created + (4 + r2 * (least(24 * greatest(age, 1), 480) - 4)) * interval '1 hour' END AS resolved,
    CASE WHEN withdrawn THEN 'withdrawn'
         WHEN NOT done THEN (ARRAY['registered','accepted','in_progress','mediating'])[1 + floor(r3 * 4)::int]
         WHEN r3 < 0.9 THEN CASE WHEN r4 < 0.6 THEN 'closed' ELSE 'resolved' END
         ELSE 'unresolved' END AS st
  FROM c
)
INSERT INTO cases_case (code, tracking_secret, title, description, channel, source_system, external_ref,
  anonymous, address_text, lat, lon, priority, risk, people_count, state, paused_from, version, level, colour,
  owner_path, pending_path, lead_path, location_path, created_at, updated_at, received_at, accept_due,
  contact_due, due_at, yellow_at, red_at, accepted_at, first_contact_at, resolved_at, closed_at, agreement,
  matter_settled, grievance_settled, result_summary, referral, satisfaction, handler_id, location_unit_id,
  owner_unit_id, standard_address_id, category_id, domain_id, triage_pending)
SELECT 'S' || lpad(s::text, 10, '0'), md5(s::text), cat_name || '纠纷', '合成负载数据', channel, '', '',
  false, '', CASE WHEN r6 < 0.5 THEN lat0 + r7 * (lat1 - lat0) END,
  CASE WHEN r6 < 0.5 THEN lon0 + r2 * (lon1 - lon0) END, 0,
  CASE WHEN r7 < 0.05 THEN 'high' WHEN r7 < 0.25 THEN 'medium' ELSE 'low' END, 1, st, '', 1,
  CASE WHEN r4 < 0.55 THEN 1 WHEN r4 < 0.85 THEN 2 WHEN r4 < 0.97 THEN 3 ELSE 4 END,
  CASE WHEN resolved IS NOT NULL OR st = 'withdrawn' THEN 'green' WHEN age >= 14 THEN 'red'
       WHEN age >= 7 THEN 'yellow' ELSE 'green' END,
  owner_path, '', '', grid_path, created, created, created, created + interval '1 day',
  created + interval '3 days', created + interval '15 days', created + interval '7 days',
  created + interval '14 days',
  CASE WHEN st <> 'registered' THEN least(%(now)s::timestamptz, created + r5 * interval '30 hours') END,
  CASE WHEN st <> 'registered' THEN least(%(now)s::timestamptz, created + r6 * interval '60 hours') END,
  resolved,
  CASE WHEN st = 'closed' THEN least(%(now)s::timestamptz, resolved + r5 * interval '72 hours')
       WHEN st = 'withdrawn' THEN created + r5 * interval '5 days' END,
  CASE WHEN resolved IS NOT NULL THEN r6 < 0.7 END,
  CASE WHEN resolved IS NOT NULL THEN r7 < 0.85 END,
  CASE WHEN resolved IS NOT NULL THEN r7 < 0.8 END,
  '', CASE WHEN st = 'unresolved' THEN 'litigation' ELSE '' END,
  CASE WHEN st = 'closed' THEN (ARRAY['satisfied','satisfied','satisfied','satisfied','satisfied','satisfied',
       'basic','basic','unsatisfied',''])[1 + floor(random() * 10)::int] ELSE '' END,
  CASE WHEN st <> 'registered' THEN handler_id END, grid_id, owner_id, NULL, cat_id, domain_id, false
FROM e
"""
EVENT_SQL = """INSERT INTO cases_caseevent (case_id, code, actor_id, actor_role, via, at, state_before, state_after,
       before, after, reason, data, public, version)
       SELECT id, %(code)s, {actor}, '', 'bench', {at}, '', '', '{{}}', '{{}}', '', {data}, false, 1
       FROM cases_case WHERE id BETWEEN %(lo)s AND %(hi)s AND {where}"""
EVENTS = [
    ("case.resolve", "handler_id", "resolved_at", "'{}'", "resolved_at IS NOT NULL"),
    ("case.close", "handler_id", "closed_at", "'{}'", "closed_at IS NOT NULL AND resolved_at IS NOT NULL"),
    (
        "case.rate",
        "NULL",
        "closed_at + interval '2 hours'",
        "json_build_object('satisfaction', satisfaction)",
        "satisfaction <> ''",
    ),
]
TEAM_SQL = """INSERT INTO mediation_teammember (case_id, mediator_id, is_lead, reason, added_at)
       SELECT c.id, %(m0)s + (c.id %% %(mn)s), true, '', c.created_at FROM cases_case c
       WHERE c.id BETWEEN %(lo)s AND %(hi)s AND c.resolved_at IS NOT NULL AND (c.id * 7919) %% 5 = 0"""


def ensure_db(url: str, fresh: bool) -> None:
    name = url.rsplit("/", 1)[1]
    if fresh:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def setup(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ.setdefault("FENGQIAO_DB_STATEMENT_TIMEOUT_MS", "0")
    os.environ.setdefault("FENGQIAO_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world(addresses: int) -> None:
    """The county (synth.py's polygons), handlers, mediators, and the lookup tables the SQL reads."""
    from django.db import connection
    from shapely.geometry import shape

    from fengqiao.atlas import synth
    from fengqiao.cases.models import Category, Domain
    from fengqiao.cases.taxonomy import seed
    from fengqiao.mediation.models import Mediator
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, StandardAddress, Unit, User

    if not Category.objects.exists():
        seed(Category, Domain)
    if not Unit.objects.filter(code=synth.COUNTY).exists():
        synth.county(addresses=0)
    owners = Unit.objects.filter(kind__in=[UnitKind.SUBCENTRE, UnitKind.DEPARTMENT]).order_by("pk")
    if not User.objects.filter(username="h0").exists():
        for i, unit in enumerate(owners):
            u = User.objects.create_user(f"h{i}", password="x-bench-pass-1", unit=unit)
            RoleAssignment.objects.create(user=u, unit=unit, role=Role.HANDLER)
        towns = list(Unit.objects.filter(kind=UnitKind.TOWN).order_by("pk"))
        Mediator.objects.bulk_create(
            [Mediator(name=f"调解员{i}", kind="people", unit=towns[i % len(towns)]) for i in range(300)]
        )
    handler = {u.unit_id: u.pk for u in User.objects.filter(username__startswith="h", unit__isnull=False)}
    units = {u.pk: u for u in Unit.objects.all()}
    sub = {u.parent_id: u for u in units.values() if u.kind == UnitKind.SUBCENTRE}
    grids = [u for u in units.values() if u.kind == UnitKind.GRID and u.boundary]
    depts = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS seed_grid, seed_cat, seed_dept")
        cur.execute(
            "CREATE TABLE seed_grid (idx int PRIMARY KEY, grid_id bigint, grid_path text, owner_id bigint,"
            " owner_path text, handler_id bigint, lat0 float, lon0 float, lat1 float, lon1 float)"
        )
        rows, idx = [], 0
        for g in sorted(grids, key=lambda g: g.pk):
            town_id = int(g.path.strip("/").split("/")[1])
            owner = sub.get(town_id) or units[town_id]
            x0, y0, x1, y1 = shape(g.boundary).bounds
            for _ in range(1 + zlib.crc32(g.code.encode()) % 7):  # busier grids appear more often
                idx += 1
                rows.append((idx, g.pk, g.path, owner.pk, owner.path, handler.get(owner.pk), y0, x0, y1, x1))
        cur.executemany("INSERT INTO seed_grid VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", rows)
        cur.execute("CREATE TABLE seed_dept (idx int PRIMARY KEY, owner_id bigint, owner_path text, handler_id bigint)")
        cur.executemany(
            "INSERT INTO seed_dept VALUES (%s,%s,%s,%s)",
            [(i + 1, d.pk, d.path, handler.get(d.pk)) for i, d in enumerate(sorted(depts, key=lambda d: d.pk))],
        )
        cur.execute("CREATE TABLE seed_cat (idx int PRIMARY KEY, cat_id bigint, domain_id bigint, cat_name text)")
        cats = Category.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", "name")
        cur.executemany(
            "INSERT INTO seed_cat VALUES (%s,%s,%s,%s)", [(i + 1, c[0], None, c[1]) for i, c in enumerate(cats)]
        )
        have = StandardAddress.objects.count()
        if addresses > have:
            cur.execute(
                """INSERT INTO org_standardaddress (grid_id, full_text, road, number, lat, lon)
                   SELECT g.grid_id, '合成地址' || s || '号', (1 + s %% 12) || '组', (1 + s %% 200) || '号',
                   g.lat0 + random() * (g.lat1 - g.lat0), g.lon0 + random() * (g.lon1 - g.lon0)
                   FROM generate_series(%s, %s) s JOIN seed_grid g ON g.idx = 1 + s %% %s""",
                [have + 1, addresses, idx],
            )


def grow(total: int, days: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from fengqiao.mediation.models import Mediator

    chans = "{" + ",".join(c for c, w in CHANNELS for _ in range(w)) + "}"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM seed_grid")
        gn = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM seed_cat")
        cn = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM seed_dept")
        dn = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(substr(code, 2)::bigint), 0) FROM cases_case WHERE code LIKE 'S%%'")
        have = cur.fetchone()[0]
    ids = sorted(Mediator.objects.values_list("pk", flat=True))
    now = timezone.now()
    lo = have + 1
    while lo <= total:
        hi = min(total, lo + CHUNK - 1)
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM cases_case")
            id0 = cur.fetchone()[0] + 1
            params = {"gn": gn, "cn": cn, "dn": dn, "chans": chans, "now": now, "days": days, "lo": lo, "hi": hi}
            cur.execute(CASE_SQL, params)
            cur.execute("SELECT max(id) FROM cases_case")
            id1 = cur.fetchone()[0]
            # The map position Case.fill_paths would copy (these cases have a point or no address).
            cur.execute(
                "UPDATE cases_case SET map_lat = lat, map_lon = lon WHERE id BETWEEN %s AND %s AND lat IS NOT NULL",
                [id0, id1],
            )
            for code, actor, at, data, where in EVENTS:
                cur.execute(
                    EVENT_SQL.format(actor=actor, at=at, data=data, where=where), {"code": code, "lo": id0, "hi": id1}
                )
            cur.execute(TEAM_SQL, {"m0": ids[0], "mn": len(ids), "lo": id0, "hi": id1})
        print(f"cases {lo}–{hi}: {time.perf_counter() - t:.1f} s", flush=True)
        lo = hi + 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/fq_scale_bench")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--addresses", type=int, default=500_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--fresh", action="store_true", help="drop and recreate the database first")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ensure_db(args.url, args.fresh)
    setup(args.url)
    world(args.addresses)
    print(f"world: {time.perf_counter() - t0:.0f} s", flush=True)
    grow(args.cases, args.days)
    from django.db import connection

    with connection.cursor() as cur:
        # VACUUM too: the UPDATEs above leave dead rows and an unset visibility map, and the machine's
        # PostgreSQL may run without autovacuum (this one does): index-only scans need a vacuumed table.
        cur.execute("VACUUM (ANALYZE)")
    try:  # the rollups, rebuilt after a bulk load (the seeder bypasses the case events)
        from fengqiao.atlas.rollup import rebuild_all
    except ImportError:
        pass
    else:
        t = time.perf_counter()
        rebuild_all()
        print(f"rollup rebuilt: {time.perf_counter() - t:.0f} s", flush=True)
    print(f"total: {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()


def reuse(url: str) -> None:
    """Point Django at an already seeded database (``--reuse``) without dropping it."""
    os.environ.setdefault("FENGQIAO_INPROCESS_TASKS", "sync")
    setup(url)


def leader(username: str, unit_code: str | None = None) -> object:
    """A leader of the county (or of the given unit) in a seeded database, created once."""
    from fengqiao.atlas import synth
    from fengqiao.org.choices import Role
    from fengqiao.org.models import RoleAssignment, Unit, User

    unit = Unit.objects.get(code=unit_code or synth.COUNTY)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password="x-bench-pass-1", unit=unit)
        RoleAssignment.objects.create(user=user, unit=unit, role=Role.LEADER)
    return user
