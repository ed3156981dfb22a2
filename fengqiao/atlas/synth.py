"""Synthetic load for the atlas benchmark and browser screenshots: a county (the real divisions of
仙居县 with generated, illustrative polygons), standard addresses placed inside their grids, and
many cases inserted in bulk with a plausible history (resolved / closed / open, colours, levels,
ratings). Like ``fengqiao.demo.bulk`` this is fixture loading for measurements — it never runs in
the product and does not go through the action layer.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from typing import Any

from django.db import transaction
from django.utils import timezone

COUNTY = "331024"
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


def county(addresses: int = 2000, grids_per_village: int = 2, seed: int = 11, batch: int = 20000) -> dict[str, int]:
    """The county's units with polygons, and ``addresses`` standard addresses with positions."""
    from shapely.geometry import shape

    from fengqiao.org.choices import UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import StandardAddress, Unit
    from fengqiao.triage.location import assign_demo_boundaries

    load_county(COUNTY, grids_per_village=grids_per_village)
    assign_demo_boundaries(county_code=COUNTY)
    rng = random.Random(seed)
    grids = [
        (pk, shape(b).bounds) for pk, b in Unit.objects.filter(kind=UnitKind.GRID).values_list("pk", "boundary") if b
    ]
    have = StandardAddress.objects.count()
    made = 0
    while have + made < addresses:
        n = min(batch, addresses - have - made)
        rows = []
        for i in range(n):
            pk, (x0, y0, x1, y1) = grids[(have + made + i) % len(grids)]
            rows.append(
                StandardAddress(
                    grid_id=pk,
                    full_text=f"合成地址{have + made + i}号",
                    road=f"{rng.randint(1, 12)}组",
                    number=f"{rng.randint(1, 200)}号",
                    lat=round(rng.uniform(y0, y1), 6),
                    lon=round(rng.uniform(x0, x1), 6),
                )
            )
        StandardAddress.objects.bulk_create(rows, batch_size=5000)
        made += n
    return {"grids": len(grids), "addresses": have + made}


def cases(total: int, seed: int = 7, days: int = 365, batch: int = 5000, now: dt.datetime | None = None) -> int:
    from fengqiao.cases import codes
    from fengqiao.cases.models import Case, Category
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import StandardAddress, Unit

    rng = random.Random(seed)
    now = now or timezone.now()
    categories = list(Category.objects.filter(parent__isnull=False))
    units = {u.pk: u for u in Unit.objects.all()}
    subcentre = {u.parent_id: u for u in units.values() if u.kind == UnitKind.SUBCENTRE}
    departments = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT]
    grids = [u for u in units.values() if u.kind == UnitKind.GRID]
    addr_ids: dict[int, list[int]] = {}
    position: dict[int, tuple[float | None, float | None]] = {}  # copied onto the case (map_lat/map_lon)
    for pk, grid_id, lat, lon in StandardAddress.objects.values_list("pk", "grid_id", "lat", "lon")[:200000]:
        addr_ids.setdefault(grid_id, []).append(pk)
        position[pk] = (lat, lon)
    chans, weights = zip(*CHANNELS, strict=True)
    # Busier towns: a stable weight per grid.
    gweights = [1 + (zlib.crc32(g.code.encode()) % 7) for g in grids]
    made = 0
    while made < total:
        n = min(batch, total - made)
        rows = []
        for _ in range(n):
            grid = rng.choices(grids, weights=gweights)[0]
            town_id = int(grid.path.strip("/").split("/")[1])
            owner = subcentre.get(town_id) if rng.random() < 0.85 or not departments else rng.choice(departments)
            if owner is None:
                owner = units[town_id]
            created = now - dt.timedelta(seconds=int(rng.random() ** 1.3 * days * 86400))
            age = (now - created).days
            kw: dict[str, Any] = {}
            if age > 20 or rng.random() < min(0.9, age / 25):
                r = rng.random()
                kw["resolved_at"] = created + dt.timedelta(hours=rng.randint(4, min(24 * max(age, 1), 24 * 20)))
                if r < 0.9:
                    kw["state"] = "closed" if rng.random() < 0.6 else "resolved"
                    kw["agreement"] = rng.random() < 0.7
                else:
                    kw["state"] = "unresolved"
                    kw["referral"] = "litigation"
                kw["satisfaction"] = rng.choices(["satisfied", "basic", "unsatisfied", ""], [60, 20, 6, 14])[0]
                kw["colour"] = "green"
            else:
                kw["state"] = rng.choice(["registered", "accepted", "in_progress", "mediating"])
                kw["colour"] = "red" if age >= 14 else "yellow" if age >= 7 else "green"
            addresses = addr_ids.get(grid.pk)
            addr = rng.choice(addresses) if addresses and rng.random() < 0.7 else None
            cat = rng.choice(categories)
            rows.append(
                Case(
                    code=codes.new_code(),
                    title=f"{cat.name}纠纷",
                    description="合成负载数据",
                    category=cat,
                    channel=rng.choices(chans, weights)[0],
                    owner_unit=owner,
                    owner_path=owner.path,
                    location_unit=grid,
                    location_path=grid.path,
                    standard_address_id=addr,
                    map_lat=position[addr][0] if addr else None,
                    map_lon=position[addr][1] if addr else None,
                    level=rng.choices([1, 2, 3, 4], [55, 30, 12, 3])[0],
                    created_at=created,
                    due_at=created + dt.timedelta(days=15),
                    yellow_at=created + dt.timedelta(days=7),
                    red_at=created + dt.timedelta(days=14),
                    **kw,
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(rows, batch_size=1000)
        made += n
    return made
