"""Team matching (一案一组团): propose a lead and one or two others, mixing kinds by rules per type.

The rules are data (``data/team_rules.json``, or the file named by ``FENGQIAO_TEAM_RULES``): which
kinds may lead, which kinds a dispute type or a risk category calls for, the weights of the score and
the local dialect. Each mediator is scored on

    specialty (the exact type 1.0, its parent type 0.7) · proximity in the unit tree (same village 1.0,
    same town 0.8, elsewhere in the town 0.6, county level 0.4) · dialect · free capacity · success
    rate (shrunk towards 0.5 when there are few cases) · rating · availability (a filter)

and every proposed member carries its reasons. A person confirms or swaps members on the case page
(which calls the ``attach_team`` action); 点兵点将 picks by hand from the searchable pool.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import F, Q

from fengqiao.org.choices import UnitKind

RULES_FILE = Path(__file__).parent / "data" / "team_rules.json"
COUNTY_KINDS = (UnitKind.COUNTY, UnitKind.CENTRE, UnitKind.DEPARTMENT, UnitKind.TASKFORCE)
FIELDS = (
    "pk",
    "name",
    "kind",
    "unit_id",
    "specialties",
    "dialects",
    "capacity",
    "active_cases",
    "cases_total",
    "cases_success",
    "rating",
)


@lru_cache(maxsize=1)
def team_rules() -> dict[str, Any]:
    path = Path(os.environ.get("FENGQIAO_TEAM_RULES", RULES_FILE))
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Slot:
    kinds: list[str]
    why: str
    lead: bool = False


@dataclass
class Proposal:
    members: list[dict[str, Any]] = field(default_factory=list)
    alternatives: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    slots: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def as_list(self) -> list[dict[str, Any]]:
        return self.members


def risk_categories(text: str, risk: Any = None) -> list[str]:
    """Risk categories from the risk assessment's hits, plus the rules' own trigger words."""
    cats: list[str] = []
    for h in getattr(risk, "hits", None) or []:
        c = h.get("category") if isinstance(h, dict) else getattr(h, "category", None)
        if c is None and isinstance(h, (tuple, list)) and len(h) > 1:
            c = h[1]
        if c and str(c) not in cats:
            cats.append(str(c))
    for cat, words in team_rules().get("triggers", {}).items():
        if cat not in cats and any(w in text for w in words):
            cats.append(cat)
    return cats


def slots_for(category_code: str, risk_cats: list[str]) -> list[Slot]:
    rules = team_rules()
    slots = [Slot(list(rules["lead_kinds"]), "首席调解员：熟悉本地情况的调解力量", lead=True)]
    size = int(rules.get("team_size", 3))
    wanted: list[Slot] = []
    for cat in risk_cats:  # risk first: a threat of violence outranks the type
        r = rules.get("by_risk", {}).get(cat)
        if r:
            wanted.append(Slot(list(r["kinds"]), r["why"]))
    by_cat = rules.get("by_category", {})
    if category_code:
        r = by_cat.get(category_code) or by_cat.get(category_code[:2])
        if r:
            wanted.append(Slot(list(r["kinds"]), r["why"]))
    seen: set[tuple[str, ...]] = set()
    for s in wanted:
        key = tuple(s.kinds)
        if key not in seen and len(slots) < size:
            seen.add(key)
            slots.append(s)
    return slots


class Scorer:
    def __init__(self, category_code: str, location_chain: list[Any], town_path: str):
        rules = team_rules()
        self.w = rules["weights"]
        self.dialect = rules.get("local_dialect", "")
        self.sub = category_code
        self.parent = category_code[:2] if category_code else ""
        self.chain_ids = {u.pk: u for u in location_chain}
        self.village_id = next((u.pk for u in location_chain if u.kind == UnitKind.VILLAGE), None)
        self.grid_id = next((u.pk for u in location_chain if u.kind == UnitKind.GRID), None)
        self.town_path = town_path

    def score(self, row: dict[str, Any], unit_path: str, unit_kind: str) -> tuple[float, list[str]]:
        reasons: list[str] = []
        specs = row["specialties"] or []
        if self.sub and self.sub in specs:
            spec = 1.0
            reasons.append("擅长该类型")
        elif self.parent and (self.parent in specs or any(str(s).startswith(self.parent) for s in specs)):
            spec = 0.7
            reasons.append("擅长同类纠纷")
        else:
            spec = 0.0
        uid = row["unit_id"]
        if uid in (self.grid_id, self.village_id):
            prox = 1.0
            reasons.append("同村（社区）")
        elif uid in self.chain_ids and unit_kind == UnitKind.TOWN:
            prox = 0.8
            reasons.append("本乡镇")
        elif self.town_path and unit_path.startswith(self.town_path):
            prox = 0.6 if unit_kind != UnitKind.SUBCENTRE else 0.8
            reasons.append("本乡镇")
        elif unit_kind in COUNTY_KINDS:
            prox = 0.4
            reasons.append("县级力量")
        else:
            prox = 0.1
        dialect = 1.0 if self.dialect and self.dialect in (row["dialects"] or []) else 0.0
        if dialect:
            reasons.append(f"会讲{self.dialect}")
        cap = max(1, row["capacity"])
        load = max(0.0, 1 - row["active_cases"] / cap)
        reasons.append(f"在办{row['active_cases']}/{cap}")
        total = row["cases_total"]
        success = (row["cases_success"] + 2) / (total + 4)  # few cases → close to 0.5
        if total >= 10:
            reasons.append(f"成功率{row['cases_success'] * 100 // max(1, total)}%（{total}件）")
        rating = min(1.0, max(0.0, row["rating"] / 5))
        if row["rating"] >= 4.5:
            reasons.append(f"评价{row['rating']:.1f}")
        w = self.w
        s = (
            w["specialty"] * spec
            + w["proximity"] * prox
            + w["dialect"] * dialect
            + w["load"] * load
            + w["success"] * success
            + w["rating"] * rating
        )
        return round(s, 4), reasons


def _candidates(kinds: list[str], area_ids: list[int], category_code: str, limit: int = 120) -> list[dict[str, Any]]:
    """Available mediators of ``kinds`` in the area, at most ``limit``, best by record first (success
    rate and rating in SQL; the full score, with proximity, dialect and load, is computed in Python)."""
    from fengqiao.mediation.models import Mediator

    qs = Mediator.objects.filter(available=True, active_cases__lt=F("capacity"), kind__in=kinds, unit_id__in=area_ids)
    quality = (F("cases_success") + 2) * 1.0 / (F("cases_total") + 4) + F("rating") / 5
    rows: list[dict[str, Any]] = []
    if category_code and connection.vendor == "postgresql":
        # jsonb containment: only specialists first (the common case: enough of them nearby).
        spec = Q(specialties__contains=[category_code]) | Q(specialties__contains=[category_code[:2]])
        rows = list(qs.filter(spec).order_by(quality.desc()).values(*FIELDS)[:limit])
        if len(rows) >= 3:
            return rows
    more = list(qs.order_by(quality.desc()).values(*FIELDS)[:limit])
    seen = {r["pk"] for r in rows}
    return rows + [r for r in more if r["pk"] not in seen]


def _cached_candidates(
    memo: dict[Any, Any] | None, where: tuple[str, int | None], kinds: list[str], area: list[int], code: str
) -> list[dict[str, Any]]:
    """:func:`_candidates`, once per area, kinds and type within a bulk registration."""
    if memo is None:
        return _candidates(kinds, area, code)
    key = ("team-candidates", where, tuple(kinds), code)
    if key not in memo:
        memo[key] = _candidates(kinds, area, code)
    return memo[key]  # type: ignore[no-any-return]


def propose(
    category_code: str,
    location_unit_id: int | None,
    text: str = "",
    risk: Any = None,
    memo: dict[Any, Any] | None = None,
) -> Proposal:
    """Propose a team for a case of type ``category_code`` at ``location_unit_id``. ``memo`` (a bulk
    registration's dict) reuses the proposal of an earlier case of the same type, place and risk
    categories: the pool's load does not change until a team is attached."""
    if memo is None:
        return _propose(category_code, location_unit_id, text, risk, None)
    key = (category_code, location_unit_id, tuple(sorted(risk_categories(text, risk))))
    if key not in memo:
        memo[key] = _propose(category_code, location_unit_id, text, risk, memo)
    return memo[key]  # type: ignore[return-value]


def _propose(
    category_code: str, location_unit_id: int | None, text: str, risk: Any, memo: dict[Any, Any] | None
) -> Proposal:
    from fengqiao.mediation.models import MediatorKind
    from fengqiao.triage.location import gazetteer

    g = gazetteer()
    chain = g.chain(location_unit_id) if location_unit_id and location_unit_id in g.units else []
    town = next((u for u in chain if u.kind == UnitKind.TOWN), None)
    town_ids = [u.pk for u in g.units.values() if town is not None and u.path.startswith(town.path)]
    county_ids = [u.pk for u in g.units.values() if u.kind in COUNTY_KINDS]
    scorer = Scorer(category_code, chain, town.path if town else "")
    labels = dict(MediatorKind.choices)
    cats = risk_categories(text, risk)
    prop = Proposal()
    taken: set[int] = set()
    for slot in slots_for(category_code, cats):
        near = "town" if slot.lead and town_ids else "town+county"
        area = town_ids if near == "town" else town_ids + county_ids
        rows = _cached_candidates(memo, (near, town.pk if town else None), slot.kinds, area, category_code)
        if not rows and not slot.lead:  # none nearby (e.g. no police officer in the town): the whole county
            rows = _cached_candidates(memo, ("all", None), slot.kinds, list(g.units), category_code)
        scored = []
        for r in rows:
            if r["pk"] in taken:
                continue
            u = g.units.get(r["unit_id"])
            s, reasons = scorer.score(r, u.path if u else "", u.kind if u else "")
            scored.append((s, r, reasons, u))
        scored.sort(key=lambda x: -x[0])
        prop.slots.append({"kinds": [str(labels.get(k, k)) for k in slot.kinds], "why": slot.why, "lead": slot.lead})
        if not scored:
            prop.note += f"无可用的{'/'.join(str(labels.get(k, k)) for k in slot.kinds)}；"
            continue

        def entry(item: tuple[float, dict[str, Any], list[str], Any], lead: bool, why: str) -> dict[str, Any]:
            s, r, reasons, u = item
            return {
                "mediator": r["pk"],
                "name": r["name"],
                "kind": r["kind"],
                "kind_label": str(labels.get(r["kind"], r["kind"])),
                "unit": u.name if u else "",
                "lead": lead,
                "score": s,
                "why": why,
                "reasons": reasons,
                "reason": f"{why}；" + "，".join(reasons[:4]),
            }

        best = scored[0]
        taken.add(best[1]["pk"])
        member = entry(best, slot.lead, slot.why)
        alts = [entry(x, False, slot.why) for x in scored[1:4]]
        member["alternatives"] = [
            {k: a[k] for k in ("mediator", "name", "kind_label", "unit", "score", "reason")} for a in alts
        ]
        prop.members.append(member)
        prop.alternatives[str(best[1]["pk"])] = alts
    return prop


def search_pool(query: str = "", kind: str = "", unit_id: int | None = None, limit: int = 30) -> list[Any]:
    """点兵点将: the available mediators matching a name, specialty or unit, least loaded first."""
    from fengqiao.cases.models import Category
    from fengqiao.mediation.models import Mediator

    qs = Mediator.objects.filter(available=True).select_related("unit")
    if kind:
        qs = qs.filter(kind=kind)
    if unit_id:
        from fengqiao.org.models import Unit

        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is not None:
            qs = qs.filter(unit__path__startswith=unit.path)
    q = (query or "").strip()
    if q:
        cond = Q(name__icontains=q) | Q(unit__name__icontains=q)
        codes = list(Category.objects.filter(name__icontains=q).values_list("code", flat=True)[:10])
        if codes and connection.vendor == "postgresql":
            for c in codes:
                cond |= Q(specialties__contains=[c])
        qs = qs.filter(cond)
    return list(qs.order_by("active_cases", "-rating")[:limit])
