"""Where a case happened: address text or a map point → standard address → grid → unit chain.

1. ``cpca`` (a kept library of China's divisions) reads province / city / county from the text; a
   county other than ours is reported as such.
2. Our own matching against the unit tree: an Aho-Corasick automaton over every town and village name
   in its forms — full (白塔镇, 上叶村委会), short (白塔, 上叶) and common suffix variants (上叶村,
   城南社区). Overlapping hits keep the longest; a village is preferred in the town that was named;
   a bare two-character short form counts only when it is unambiguous.
3. The rest of the text gives road / group / number; the best standard address of the village's grids
   is picked with rapidfuzz.
4. A map point is looked up in the grid polygons (``Unit.boundary`` GeoJSON, shapely STRtree).

The gazetteer is built once per process and rebuilt after a unit changes (signal) or after
``TTL`` seconds (changes made by other processes).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import types
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models.signals import post_delete, post_save

from fengqiao.core.memo import ProcessCache
from fengqiao.org.choices import UnitKind

TTL = 300.0
_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "社区居委会", "村委会", "社区", "村")
_TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
_ROAD = re.compile(r"([\u4e00-\u9fa5A-Za-z0-9]{1,12}?(?:大道|路|街|巷|弄|道))")
_GROUP = re.compile(r"([0-9一二三四五六七八九十]{1,3})\s*(?:组|队)")
_NUMBER = re.compile(r"([0-9]{1,5}(?:-[0-9]{1,4})?)\s*号")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


@dataclass
class Location:
    province: str = ""
    city: str = ""
    county: str = ""
    town: str = ""
    village: str = ""
    road: str = ""
    group: str = ""
    number: str = ""
    town_id: int | None = None
    village_id: int | None = None
    grid_id: int | None = None
    standard_address_id: int | None = None
    standard_address: str = ""
    address_score: float = 0.0
    unit_id: int | None = None  # the most specific unit found
    chain: list[str] = field(default_factory=list)  # names from the county down
    method: str = ""  # "address", "point", "given"
    reason: str = ""  # why it could not be resolved (empty when resolved)

    @property
    def resolved(self) -> bool:
        return self.unit_id is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# cpca (province / city / county)

_cpca_lock = threading.Lock()
_cpca: Any = None


def _resource_stream(module: str, name: str) -> Any:
    """``pkg_resources.resource_stream``: ``name`` relative to the directory of ``module`` (a package or
    a plain module — jieba, imported later in the same process, passes ``jieba._compat``)."""
    import importlib

    mod = importlib.import_module(module)
    return open(os.path.join(os.path.dirname(str(mod.__file__)), name), "rb")


def _load_cpca() -> Any:
    """cpca imports ``pkg_resources`` (setuptools), which this environment does not ship; give it a
    two-line stand-in based on importlib.resources for the one function it uses."""
    global _cpca
    if _cpca is None:
        with _cpca_lock:
            if _cpca is None:
                if "pkg_resources" not in sys.modules:
                    try:
                        import pkg_resources  # noqa: F401
                    except ImportError:
                        shim = types.ModuleType("pkg_resources")
                        shim.resource_stream = _resource_stream  # type: ignore[attr-defined]
                        sys.modules["pkg_resources"] = shim
                import cpca

                cpca.transform(["浙江省台州市仙居县"])  # builds its matcher (a few seconds, once)
                _cpca = cpca
    return _cpca


def upper_levels(text: str) -> dict[str, str]:
    try:
        df = _load_cpca().transform([text])
    except Exception:  # pragma: no cover - a broken optional library must not stop intake
        return {}
    row = df.iloc[0]
    return {
        "province": row["省"] or "",
        "city": row["市"] or "",
        "county": row["区"] or "",
        "adcode": row["adcode"] or "",
    }


# ---------------------------------------------------------------------------------------------
# the gazetteer


@dataclass
class _Unit:
    pk: int
    kind: str
    name: str
    short: str
    parent: int | None
    path: str
    code: str


class Gazetteer:
    def __init__(self) -> None:
        import ahocorasick

        from fengqiao.org.models import Unit

        rows = Unit.objects.filter(is_active=True).values_list(
            "pk", "kind", "name", "short_name", "parent_id", "path", "code"
        )
        self.units = {r[0]: _Unit(*r) for r in rows}
        self.counties = [u for u in self.units.values() if u.kind == UnitKind.COUNTY]
        self.subcentre_of_town = {
            u.parent: u.pk for u in self.units.values() if u.kind == UnitKind.SUBCENTRE and u.parent
        }
        self.grids_of: dict[int, list[int]] = {}
        for u in self.units.values():
            if u.kind == UnitKind.GRID and u.parent:
                self.grids_of.setdefault(u.parent, []).append(u.pk)
        self.automaton = ahocorasick.Automaton()
        forms: dict[str, list[tuple[int, bool]]] = {}  # form → [(unit id, is_full_form)]
        for u in self.units.values():
            for form, full in self._forms(u):
                if len(form) >= 2:
                    forms.setdefault(form, []).append((u.pk, full))
        self.ambiguous = {f for f, ids in forms.items() if len({i for i, _ in ids}) > 1}
        for form, ids in forms.items():
            self.automaton.add_word(form, (form, ids))
        self.automaton.make_automaton()
        self._shapes: Any = None
        self.built = time.monotonic()

    @staticmethod
    def _forms(u: _Unit) -> list[tuple[str, bool]]:
        if u.kind == UnitKind.TOWN:
            base = u.short or u.name
            for s in _TOWN_SUFFIXES:
                if u.name.endswith(s) and len(u.name) > len(s) + 1:
                    base = u.name[: -len(s)]
            return [(u.name, True), (base, False), (base + "镇", True), (base + "乡", True), (base + "街道", True)]
        if u.kind == UnitKind.VILLAGE:
            base = u.short or u.name
            for s in _VILLAGE_SUFFIXES:
                if u.name.endswith(s) and len(u.name) > len(s) + 1:
                    base = u.name[: -len(s)]
                    break
            return [(u.name, True), (base, False), (base + "村", True), (base + "社区", True), (base + "村委会", True)]
        if u.kind == UnitKind.COUNTY:
            base = u.name[:-1] if u.name.endswith(("县", "区", "市")) and len(u.name) > 2 else u.name
            return [(u.name, True), (base, False)]
        return []

    def chain(self, unit_id: int) -> list[_Unit]:
        ids = [int(x) for x in self.units[unit_id].path.strip("/").split("/") if x]
        return [self.units[i] for i in ids if i in self.units]

    def town_of(self, unit_id: int) -> _Unit | None:
        for u in reversed(self.chain(unit_id)):
            if u.kind == UnitKind.TOWN:
                return u
        return None

    def match(self, text: str) -> tuple[_Unit | None, _Unit | None, int]:
        """(town, village, end offset of the last place name) named in ``text``."""
        hits: list[tuple[int, int, str, list[tuple[int, bool]]]] = []
        for end, (form, ids) in self.automaton.iter(text):
            hits.append((end - len(form) + 1, end + 1, form, ids))
        # Keep the longest of overlapping hits.
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        kept: list[tuple[int, int, str, list[tuple[int, bool]]]] = []
        for h in hits:
            if kept and h[0] < kept[-1][1]:
                if h[1] - h[0] > kept[-1][1] - kept[-1][0]:
                    kept[-1] = h
                continue
            kept.append(h)
        town: _Unit | None = None
        villages: list[tuple[_Unit, bool, str, int]] = []
        last_end = 0
        for _start, end, form, ids in kept:
            for pk, full in ids:
                u = self.units[pk]
                if u.kind == UnitKind.TOWN and town is None:
                    town = u
                    last_end = max(last_end, end)
                elif u.kind == UnitKind.VILLAGE:
                    villages.append((u, full, form, end))
        village: _Unit | None = None
        if villages:
            in_town = [v for v in villages if town is not None and v[0].parent == town.pk]
            pool = in_town or villages
            # Full forms (上叶村) beat bare short forms (上叶); bare short forms need to be unambiguous.
            pool.sort(key=lambda v: (not v[1], -len(v[2])))
            best = pool[0]
            if in_town or best[2] not in self.ambiguous:
                village = best[0]
                last_end = max(last_end, best[3])
                if town is None and village.parent in self.units:
                    town = self.units[village.parent]
        return town, village, last_end

    def grid_at(self, lat: float, lon: float) -> int | None:
        if self._shapes is None:
            self._shapes = _grid_shapes(self)
        tree, ids, polys = self._shapes
        if tree is None:
            return None
        from shapely.geometry import Point

        pt = Point(lon, lat)
        for i in tree.query(pt):
            if polys[int(i)].covers(pt):
                return int(ids[int(i)])
        return None


def _grid_shapes(g: Gazetteer) -> tuple[Any, list[int], list[Any]]:
    from shapely.geometry import shape
    from shapely.strtree import STRtree

    from fengqiao.org.models import Unit

    ids, polys = [], []
    for pk, boundary in Unit.objects.filter(
        kind__in=[UnitKind.GRID, UnitKind.MICROGRID], is_active=True, boundary__isnull=False
    ).values_list("pk", "boundary"):
        try:
            geom = shape(boundary.get("geometry", boundary) if isinstance(boundary, dict) else boundary)
        except Exception:  # noqa: S112 - a malformed polygon is skipped, the others still work
            continue
        ids.append(pk)
        polys.append(geom)
    return (STRtree(polys) if polys else None), ids, polys


_gazetteer: ProcessCache[Gazetteer] = ProcessCache(Gazetteer, TTL)


def gazetteer() -> Gazetteer:
    return _gazetteer.get()


def forget(**_: Any) -> None:
    _gazetteer.forget()
    _addresses.clear()  # a village's addresses are read again too (defined below)


post_save.connect(forget, sender="org.Unit", dispatch_uid="triage-gazetteer")
post_delete.connect(forget, sender="org.Unit", dispatch_uid="triage-gazetteer-del")


# ---------------------------------------------------------------------------------------------
# resolve


def _cn_number(s: str) -> str:
    if s.isdigit():
        return str(int(s))
    if len(s) == 1:
        return str(_CN_DIGITS.get(s, s))
    if s.startswith("十"):
        return str(10 + _CN_DIGITS.get(s[1:], 0))
    if s.endswith("十"):
        return str(_CN_DIGITS.get(s[0], 0) * 10)
    if "十" in s:
        a, b = s.split("十", 1)
        return str(_CN_DIGITS.get(a, 0) * 10 + _CN_DIGITS.get(b, 0))
    return s


def _parts(rest: str) -> tuple[str, str, str]:
    group = _GROUP.search(rest)
    number = _NUMBER.search(rest)
    road = _ROAD.search(rest)
    return (
        road.group(1) if road else "",
        f"{_cn_number(group.group(1))}组" if group else "",
        f"{number.group(1)}号" if number else "",
    )


# A village's standard addresses, per process for a while (forgotten when an address is saved): a batch of
# triage (and the next ones) reads each village's addresses once, not once per case.
_addresses: dict[int, tuple[float, list[tuple[Any, ...]]]] = {}
_addresses_lock = threading.Lock()
ADDRESS_TTL = 120.0
ADDRESS_VILLAGES = 2000


def _village_addresses(village_id: int, grids: list[int]) -> list[tuple[Any, ...]]:
    from fengqiao.org.models import StandardAddress

    now = time.monotonic()
    hit = _addresses.get(village_id)
    if hit is not None and now - hit[0] <= ADDRESS_TTL:
        return hit[1]
    rows = list(
        StandardAddress.objects.filter(grid_id__in=grids).values_list("pk", "road", "number", "grid_id", "full_text")
    )
    with _addresses_lock:
        if len(_addresses) >= ADDRESS_VILLAGES:
            _addresses.clear()
        _addresses[village_id] = (now, rows)
    return rows


def forget_addresses(**_: Any) -> None:
    _addresses.clear()


post_save.connect(forget_addresses, sender="org.StandardAddress", dispatch_uid="triage-addresses")
post_delete.connect(forget_addresses, sender="org.StandardAddress", dispatch_uid="triage-addresses-del")


def _best_address(village_id: int, road: str, group: str, number: str, rest: str) -> tuple[int, str, int, float]:
    from rapidfuzz import fuzz, process

    grids = gazetteer().grids_of.get(village_id, [])
    if not grids:
        return 0, "", 0, 0.0
    rows = _village_addresses(village_id, grids)
    if not rows:
        return 0, "", 0, 0.0
    query = f"{road or group}{number}" or rest
    if not query:
        return 0, "", 0, 0.0
    choices = {r[0]: f"{r[1]}{r[2]}" for r in rows}
    best = process.extractOne(query, choices, scorer=fuzz.ratio)
    if best is None:
        return 0, "", 0, 0.0
    _, score, pk = best
    row = next(r for r in rows if r[0] == pk)
    # The number must agree when one was given; the group/road decides among the village's grids.
    if number and row[2] != number:
        score = min(score, 60.0)
    return int(pk), row[4], int(row[3]), float(score)


ADDRESS_MIN_SCORE = 80.0


def resolve(text: str = "", lat: float | None = None, lon: float | None = None) -> Location:
    """Resolve an address text and/or a map point to our unit tree."""
    g = gazetteer()
    loc = Location()
    text = (text or "").strip()
    if text:
        upper = upper_levels(text) if any(k in text for k in ("省", "市", "县", "区")) else {}
        loc.province, loc.city, loc.county = upper.get("province", ""), upper.get("city", ""), upper.get("county", "")
        ours = {c.name for c in g.counties}
        if loc.county and ours and loc.county not in ours:
            loc.reason = f"地址属于{loc.city}{loc.county}，不在本县范围"
            return loc
        town, village, end = g.match(text)
        if town is not None:
            loc.town, loc.town_id = town.name, town.pk
        if village is not None:
            loc.village, loc.village_id = village.name, village.pk
            rest = text[end:]
            loc.road, loc.group, loc.number = _parts(rest)
            pk, full, grid_pk, score = _best_address(village.pk, loc.road, loc.group, loc.number, rest)
            if pk and score >= ADDRESS_MIN_SCORE:
                loc.standard_address_id, loc.standard_address, loc.grid_id = pk, full, grid_pk
                loc.address_score = round(score, 1)
            elif len(g.grids_of.get(village.pk, [])) == 1:
                loc.grid_id = g.grids_of[village.pk][0]
        if loc.grid_id or loc.village_id or loc.town_id:
            loc.method = "address"
    if loc.grid_id is None and lat is not None and lon is not None:
        at = g.grid_at(lat, lon)
        if at is not None:
            loc.grid_id, loc.method = at, "point"
            chain = g.chain(at)
            for u in chain:
                if u.kind == UnitKind.TOWN:
                    loc.town, loc.town_id = u.name, u.pk
                elif u.kind == UnitKind.VILLAGE:
                    loc.village, loc.village_id = u.name, u.pk
    loc.unit_id = loc.grid_id or loc.village_id or loc.town_id
    if loc.unit_id is not None:
        loc.chain = [u.name for u in g.chain(loc.unit_id) if u.kind not in (UnitKind.SUBCENTRE,)]
    elif not loc.reason:
        if not text and lat is None:
            loc.reason = "未提供地址"
        elif text:
            loc.reason = f"地址「{text[:40]}」未能匹配到本县的乡镇或村（社区）"
        else:
            loc.reason = "坐标不在任何网格范围内"
    return loc


# ---------------------------------------------------------------------------------------------
# demo polygons


def assign_demo_boundaries(
    bbox: tuple[float, float, float, float] = (120.45, 28.66, 120.95, 28.98), county_code: str = "331024"
) -> int:
    """Give the demo county's towns, villages and grids plausible non-overlapping rectangles (a
    tiling of the county's bounding box) where they have no boundary yet. Real polygons imported
    later replace them. Returns the number of units updated."""
    from fengqiao.org.models import Unit

    county = Unit.objects.filter(code=county_code).first()
    if county is None:
        return 0
    units = list(Unit.objects.filter(path__startswith=county.path).order_by("code"))
    children: dict[int, list[Unit]] = {}
    for u in units:
        if u.parent_id:
            children.setdefault(u.parent_id, []).append(u)
    changed: list[Unit] = []

    def tile(parent: Unit, box: tuple[float, float, float, float], kind: str) -> list[tuple[Unit, tuple]]:
        kids = [c for c in children.get(parent.pk, []) if c.kind == kind]
        if not kids:
            return []
        cols = max(1, int(len(kids) ** 0.5 + 0.999))
        rows = (len(kids) + cols - 1) // cols
        x0, y0, x1, y1 = box
        w, h = (x1 - x0) / cols, (y1 - y0) / rows
        out = []
        for i, k in enumerate(kids):
            r, c = divmod(i, cols)
            out.append((k, (x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h)))
        return out

    def polygon(b: tuple[float, float, float, float]) -> dict[str, Any]:
        x0, y0, x1, y1 = (round(v, 6) for v in b)
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}

    for town, tb in tile(county, bbox, UnitKind.TOWN):
        if town.boundary is None:
            town.boundary = polygon(tb)
            changed.append(town)
        for village, vb in tile(town, tb, UnitKind.VILLAGE):
            if village.boundary is None:
                village.boundary = polygon(vb)
                changed.append(village)
            for grid, gb in tile(village, vb, UnitKind.GRID):
                if grid.boundary is None:
                    grid.boundary = polygon(gb)
                    changed.append(grid)
    Unit.objects.bulk_update(changed, ["boundary"], batch_size=500)
    forget()
    return len(changed)
