"""Build a county's organisation tree from the shipped NBS division data."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

DATA = Path(__file__).parent / "data"


@dataclass
class Division:
    code: str
    name: str
    parent_code: str


def _read(name: str) -> list[dict[str, str]]:
    path = DATA / name
    text = gzip.decompress(path.read_bytes()).decode() if name.endswith(".gz") else path.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def county_divisions(county_code: str) -> tuple[Division, list[Division], list[Division]]:
    areas = {row["code"]: row for row in _read("zhejiang_areas.csv")}
    if county_code not in areas:
        raise ValueError(f"unknown county code {county_code} (shipped data covers Zhejiang, 33xxxx)")
    county = Division(county_code, areas[county_code]["name"], areas[county_code]["cityCode"])
    towns = [
        Division(r["code"], r["name"], county_code)
        for r in _read("zhejiang_streets.csv.gz")
        if r["areaCode"] == county_code
    ]
    villages = [
        Division(r["code"], r["name"], r["streetCode"])
        for r in _read("zhejiang_villages_2021.csv.gz")
        if r["areaCode"] == county_code
    ]
    # Villages of a town whose 2023 code is missing still hang on a town known from the 2021 file.
    known = {t.code for t in towns}
    for r in _read("zhejiang_villages_2021.csv.gz"):
        if r["areaCode"] == county_code and r["streetCode"] not in known:
            towns.append(Division(r["streetCode"], r["streetName"], county_code))
            known.add(r["streetCode"])
    return county, towns, villages


def short_town_name(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def short_village_name(name: str) -> str:
    for suffix in ("村民委员会", "居民委员会", "社区居委会", "村委会", "社区", "村"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@transaction.atomic
def load_county(county_code: str, grids_per_village: int = 2) -> dict[str, int]:
    """Create or update the county, its towns (with a 综治中心 each), villages and grids. Idempotent."""
    county_div, towns, villages = county_divisions(county_code)
    counts = {"county": 0, "towns": 0, "villages": 0, "grids": 0, "centres": 0}

    def upsert(code: str, **fields: object) -> Unit:
        unit, created = Unit.objects.get_or_create(code=code, defaults=fields)
        if not created:
            changed = False
            for key, value in fields.items():
                if getattr(unit, key if key != "parent" else "parent") != value:
                    setattr(unit, key, value)
                    changed = True
            if changed:
                unit.save()
        return unit

    county = upsert(
        county_div.code, name=county_div.name, kind=UnitKind.COUNTY, parent=None, short_name=county_div.name
    )
    counts["county"] = 1
    upsert(
        f"{county_div.code}-ZZZX",
        name=f"{county_div.name}社会治理中心",
        short_name="县综治中心",
        kind=UnitKind.CENTRE,
        parent=county,
    )
    counts["centres"] += 1
    town_units: dict[str, Unit] = {}
    for t in sorted(towns, key=lambda d: d.code):
        town = upsert(t.code, name=t.name, short_name=short_town_name(t.name), kind=UnitKind.TOWN, parent=county)
        town_units[t.code] = town
        upsert(
            f"{t.code}-ZZZX",
            name=f"{t.name}综治中心",
            short_name=f"{short_town_name(t.name)}综治中心",
            kind=UnitKind.SUBCENTRE,
            parent=town,
        )
        counts["towns"] += 1
        counts["centres"] += 1
    for v in sorted(villages, key=lambda d: d.code):
        parent = town_units.get(v.parent_code)
        if parent is None:
            continue
        village = upsert(
            v.code,
            name=v.name,
            short_name=short_village_name(v.name),
            kind=UnitKind.VILLAGE,
            parent=parent,
            allows_anonymous=True,
        )
        counts["villages"] += 1
        for g in range(1, grids_per_village + 1):
            upsert(
                f"{v.code}-G{g:02d}",
                name=f"{short_village_name(v.name)}第{g}网格",
                kind=UnitKind.GRID,
                parent=village,
            )
            counts["grids"] += 1
    return counts
