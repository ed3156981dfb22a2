"""The data one engine run reads, loaded once and shared by every model: the cases of the look-back
window (plain columns, no model instances), their parties resolved to persons by keyed hash, the
unit tree, and — on demand — text signatures, transfer counts and case texts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fengqiao.cases.models import Case, Category, Party
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

RISK_RANK = {"low": 0, "medium": 1, "high": 2}
EXCLUDED_STATES = ("merged", "withdrawn")
ENDED = ("resolved", "unresolved", "closed", "archived")


@dataclass(slots=True)
class Row:
    id: int
    created_at: dt.datetime
    cat1: str
    location_unit_id: int | None
    owner_unit_id: int
    channel: str
    risk: str
    state: str
    ended_at: dt.datetime | None
    people: int
    area_id: int = 0


@dataclass
class Touched:
    """What the new cases since the watermark touch: an incremental run recomputes only these."""

    case_ids: set[int] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)  # person keys
    area_types: set[tuple[int, str]] = field(default_factory=set)
    types: set[str] = field(default_factory=set)


class Snapshot:
    def __init__(self, now: dt.datetime, lookback_days: int) -> None:
        self.now = now
        self.since = now - dt.timedelta(days=lookback_days)
        units = list(Unit.objects.values_list("pk", "path", "kind", "parent_id", "name"))
        self.unit_path = {u[0]: u[1] for u in units}
        self.unit_name = {u[0]: u[4] for u in units}
        self.unit_kind = {u[0]: u[2] for u in units}
        roots = [u for u in units if u[3] is None]
        county = next((u for u in roots if u[2] == UnitKind.COUNTY), roots[0] if roots else None)
        self.root_id = county[0] if county else 0
        self._area = self._areas(units)
        cats = dict(Category.objects.values_list("pk", "parent_id"))
        codes = dict(Category.objects.values_list("pk", "code"))
        self.type_name = {codes[pk]: name for pk, name in Category.objects.values_list("pk", "name")}
        cat1 = {pk: codes[parent or pk] for pk, parent in cats.items()}
        self.rows: dict[int, Row] = {}
        qs = Case.objects.filter(created_at__gte=self.since, created_at__lte=now).exclude(state__in=EXCLUDED_STATES)
        for r in qs.values_list(
            "pk",
            "created_at",
            "category_id",
            "location_unit_id",
            "owner_unit_id",
            "channel",
            "risk",
            "state",
            "resolved_at",
            "closed_at",
            "people_count",
        ).iterator(chunk_size=5000):
            ended = r[8] or r[9]
            row = Row(r[0], r[1], cat1.get(r[2], "") if r[2] else "", r[3], r[4], r[5], r[6], r[7], ended, r[10])
            row.area_id = self.area_of(r[3] or r[4])
            self.rows[r[0]] = row
        self._load_parties()
        self.cache: dict[str, Any] = {}

    # --- units -------------------------------------------------------------------------------
    def _areas(self, units: list[tuple[Any, ...]]) -> dict[int, int]:
        """Each unit's town (乡镇) — the area of the area models — or the unit itself above towns."""
        kind = {u[0]: u[2] for u in units}
        out: dict[int, int] = {}
        for pk, path, *_ in units:
            ids = [int(x) for x in path.strip("/").split("/") if x]
            town = next((i for i in ids if kind.get(i) == UnitKind.TOWN), 0)
            out[pk] = town or pk
        return out

    def area_of(self, unit_id: int | None) -> int:
        return self._area.get(unit_id or 0, self.root_id)

    # --- persons -----------------------------------------------------------------------------
    def _load_parties(self) -> None:
        """Parties of the window's cases; a person is a connected set of ID and phone hashes (the same
        ID number or the same phone is the same person). Organisations are not persons."""
        rows = list(
            Party.objects.filter(case__created_at__gte=self.since, case__created_at__lte=self.now, kind="person")
            .exclude(phone_hash="", id_hash="")
            .values_list("case_id", "role", "phone_hash", "id_hash")
            .iterator(chunk_size=10000)
        )
        rows = [r for r in rows if r[0] in self.rows]
        index: dict[str, int] = {}
        a: list[int] = []
        b: list[int] = []
        for _, _, ph, ih in rows:
            for h in (ph, ih):
                if h and h not in index:
                    index[h] = len(index)
            if ph and ih:
                a.append(index[ph])
                b.append(index[ih])
        n = len(index)
        if n:
            graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
            _, labels = connected_components(graph, directed=False)
        else:
            labels = np.zeros(0, dtype=int)
        # The key of a person: the smallest hash of its component (stable while it does not merge).
        comp_key: dict[int, str] = {}
        for h, i in index.items():
            c = int(labels[i])
            if c not in comp_key or h < comp_key[c]:
                comp_key[c] = h
        self.person_of_hash = {h: comp_key[int(labels[i])] for h, i in index.items()}
        self.parties: list[tuple[int, str, str]] = []  # (case, role, person)
        self.cases_of: dict[str, list[int]] = defaultdict(list)  # applicant person → cases
        self.persons_of_case: dict[int, list[str]] = defaultdict(list)
        self.respondents_of_case: dict[int, list[str]] = defaultdict(list)
        for case_id, role, ph, ih in rows:
            person = self.person_of_hash[ih or ph]
            self.parties.append((case_id, role, person))
            if role == "applicant":
                if case_id not in self.cases_of[person]:
                    self.cases_of[person].append(case_id)
                self.persons_of_case[case_id].append(person)
            elif role == "respondent":
                self.respondents_of_case[case_id].append(person)
        for cases in self.cases_of.values():
            cases.sort(key=lambda c: (self.rows[c].created_at, c))

    def person_hashes(self, person: str) -> list[str]:
        return sorted(h for h, p in self.person_of_hash.items() if p == person)

    # --- on demand -----------------------------------------------------------------------------
    def signatures(self, since: dt.datetime) -> dict[int, tuple[np.ndarray, list[int]]]:
        from fengqiao.triage.models import TextSignature

        key = f"sigs:{since.isoformat()}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        out: dict[int, tuple[np.ndarray, list[int]]] = {}
        cols = ["case_id", "minhash"] + [f"b{i}" for i in range(8)]
        for r in (
            TextSignature.objects.filter(created_at__gte=since, created_at__lte=self.now)
            .values_list(*cols)
            .iterator(chunk_size=5000)
        ):
            if r[0] in self.rows:
                out[r[0]] = (np.frombuffer(bytes(r[1]), dtype=np.uint32), list(r[2:]))
        self.cache[key] = out
        return out

    def texts(self, case_ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        ids = list(case_ids)
        for i in range(0, len(ids), 1000):
            for pk, title, desc in Case.objects.filter(pk__in=ids[i : i + 1000]).values_list(
                "pk", "title", "description"
            ):
                out[pk] = f"{title}\n{desc}"
        return out

    def town_name(self, area_id: int) -> str:
        return self.unit_name.get(area_id, "")

    def rows_in(self, scope_path: str) -> list[Row]:
        """The window's cases located in (or owned within) the subtree of ``scope_path``."""
        key = f"rows:{scope_path}"
        if key not in self.cache:
            self.cache[key] = [r for r in self.rows.values() if self.in_scope(r, scope_path)]
        return self.cache[key]  # type: ignore[no-any-return]

    def in_scope(self, row: Row, scope_path: str) -> bool:
        if not scope_path:
            return True
        for uid in (row.location_unit_id, row.owner_unit_id):
            if uid and self.unit_path.get(uid, "").startswith(scope_path):
                return True
        return False
