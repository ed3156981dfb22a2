"""The data one engine run reads, loaded once and shared by every model: the cases of the look-back
window (plain columns, no model instances), their parties resolved to persons by keyed hash, the
unit tree, and — on demand — text signatures, transfer counts and case texts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fengqiao.cases.models import Case, Category, Party
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

RISK_RANK = {"low": 0, "medium": 1, "high": 2}
EXCLUDED_STATES = ("merged", "withdrawn")
ENDED = ("resolved", "unresolved", "closed", "archived")
WEEK = dt.timedelta(days=7)
FOCUS_CHUNK = 2000


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
    """The cases of the look-back window that a model can use: in a full run the cases linked to another
    (:meth:`_linked`: by a person on several cases, or by similar text). ``after_id`` makes a focused
    snapshot (an incremental run):
    instead of every case of the window it holds the new cases (id > ``after_id``), the cases whose
    text shares an LSH band with a new case, the cases of ``keep`` (the open warnings), and every case
    of the persons named on any of those. Weekly counts (the surge models) come from SQL aggregates
    either way, so they never depend on which rows were loaded."""

    def __init__(
        self,
        now: dt.datetime,
        lookback_days: int,
        after_id: int | None = None,
        keep: Iterable[int] = (),
        text_days: int | None = None,
    ) -> None:
        self.now = now
        self.since = now - dt.timedelta(days=lookback_days)
        self.text_since = now - dt.timedelta(days=min(text_days or lookback_days, lookback_days))
        self.focused = after_id is not None
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
        self.cat1_of: dict[int, str] = {pk: codes[parent or pk] for pk, parent in cats.items()}
        self.rows: dict[int, Row] = {}
        self.cache: dict[str, Any] = {}
        self.focus: set[int] = self._focus(after_id, set(keep)) if after_id is not None else self._linked()
        cols = (
            "pk", "created_at", "category_id", "location_unit_id", "owner_unit_id", "channel", "risk", "state",
            "resolved_at", "closed_at", "people_count",
        )  # fmt: skip
        for r in self._values(self.window(), cols):
            ended = r[8] or r[9]
            cat = self.cat1_of.get(r[2], "") if r[2] else ""
            row = Row(r[0], r[1], cat, r[3], r[4], r[5], r[6], r[7], ended, r[10])
            row.area_id = self.area_of(r[3] or r[4])
            self.rows[r[0]] = row
        self._load_parties()

    def window(self) -> QuerySet[Case]:
        return Case.objects.filter(created_at__gte=self.since, created_at__lte=self.now).exclude(
            state__in=EXCLUDED_STATES
        )

    def _values(self, qs: QuerySet[Any], cols: tuple[str, ...], key: str = "pk") -> Iterator[tuple[Any, ...]]:
        """``qs.values_list(*cols)`` over the focus ids, in chunks."""
        ids = sorted(self.focus)
        for i in range(0, len(ids), FOCUS_CHUNK):
            yield from qs.filter(**{f"{key}__in": ids[i : i + FOCUS_CHUNK]}).values_list(*cols)

    def _linked(self) -> set[int]:
        """The cases of the window linked to another case of it — the only ones a model that reads rows
        can use (a full run): every case of a person (ID or phone hash) on two or more of the window's
        cases, and every case whose text signature (since ``text_since``) shares an LSH band with another's.
        A case linked to no other is one person's one matter: no person, pair, group, issue or network
        model can fire on it alone, and the surge models count in SQL. A person (a connected set of
        hashes) with two or more cases has a hash on two of them on every one of its cases, so all of
        its cases are here. Ten grouped SQL queries and index look-ups; at a million cases a year most cases are unlinked."""
        from fengqiao.triage.models import TextSignature

        # Per hash column and per band: the values seen on two or more rows (one grouped query; few, as
        # most persons and texts occur once), then their cases through the column's index. (One query
        # joining "IN (grouped subquery)" by OR rescanned a subquery too large to hash for every party
        # row: 71 s at a million cases.)
        parties = Party.objects.filter(
            case__created_at__gte=self.since, case__created_at__lte=self.now, kind="person"
        ).exclude(case__state__in=EXCLUDED_STATES)
        ids: set[int] = set()
        for name in ("phone_hash", "id_hash"):
            shared = list(
                parties.exclude(**{name: ""})
                .values(name)
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .order_by()
                .values_list(name, flat=True)
            )
            for i in range(0, len(shared), FOCUS_CHUNK):
                chunk = shared[i : i + FOCUS_CHUNK]
                ids.update(parties.filter(**{f"{name}__in": chunk}).values_list("case_id", flat=True))
        sigs = TextSignature.objects.filter(created_at__gte=self.text_since, created_at__lte=self.now)
        for b in range(8):
            col = f"b{b}"
            keys = list(
                sigs.values(col).annotate(n=Count("case_id")).filter(n__gt=1).order_by().values_list(col, flat=True)
            )
            for i in range(0, len(keys), FOCUS_CHUNK):
                ids.update(sigs.filter(**{f"{col}__in": keys[i : i + FOCUS_CHUNK]}).values_list("case_id", flat=True))
        return ids

    def _focus(self, after_id: int, keep: set[int]) -> set[int]:
        from fengqiao.triage.models import TextSignature

        new = set(self.window().filter(pk__gt=after_id).values_list("pk", flat=True))
        seeds = new | keep
        # Cases whose text shares a band with a new case's (the candidates of the text clusters).
        bands: list[set[int]] = [set() for _ in range(8)]
        ids = sorted(new)
        for i in range(0, len(ids), FOCUS_CHUNK):
            for row in TextSignature.objects.filter(case_id__in=ids[i : i + FOCUS_CHUNK]).values_list(
                *[f"b{b}" for b in range(8)]
            ):
                for b, k in enumerate(row):
                    bands[b].add(k)
        sigs = TextSignature.objects.filter(created_at__gte=self.since, created_at__lte=self.now)
        for b, keys in enumerate(bands):
            ks = sorted(keys)
            for i in range(0, len(ks), FOCUS_CHUNK):
                seeds.update(sigs.filter(**{f"b{b}__in": ks[i : i + FOCUS_CHUNK]}).values_list("case_id", flat=True))
        # Every case of the persons named on those cases.
        phones: set[str] = set()
        id_numbers: set[str] = set()
        ids = sorted(seeds)
        for i in range(0, len(ids), FOCUS_CHUNK):
            for ph, ih in Party.objects.filter(case_id__in=ids[i : i + FOCUS_CHUNK], kind="person").values_list(
                "phone_hash", "id_hash"
            ):
                if ph:
                    phones.add(ph)
                if ih:
                    id_numbers.add(ih)
        window = Party.objects.filter(case__created_at__gte=self.since, case__created_at__lte=self.now)
        for field_name, hashes in (("phone_hash", phones), ("id_hash", id_numbers)):
            hs = sorted(hashes)
            for i in range(0, len(hs), FOCUS_CHUNK):
                seeds.update(
                    window.filter(**{f"{field_name}__in": hs[i : i + FOCUS_CHUNK]}).values_list("case_id", flat=True)
                )
        return seeds

    def week_counts(self, scope: str, weeks: int) -> dict[tuple[int, str], list[int]]:
        """Per (area, level-1 type): the case counts of the 7-day bins ending now, bin 0 first (bins
        0..``weeks``), aggregated in SQL over the whole window (focused or not)."""
        key = f"weeks:{scope}:{weeks}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        qs = self.window().filter(created_at__gt=self.now - (weeks + 1) * WEEK, category__isnull=False)
        if scope:
            qs = qs.filter(Q(location_path__startswith=scope) | Q(owner_path__startswith=scope))
        aggregates = {
            f"w{b}": Count(
                "id", filter=Q(created_at__gt=self.now - (b + 1) * WEEK, created_at__lte=self.now - b * WEEK)
            )
            for b in range(weeks + 1)
        }
        out: dict[tuple[int, str], list[int]] = {}
        grouped = qs.values("location_unit_id", "owner_unit_id", "category_id").annotate(**aggregates).order_by()
        for loc, owner, cat, *bins in grouped.values_list(
            "location_unit_id", "owner_unit_id", "category_id", *aggregates
        ):
            acc = out.setdefault((self.area_of(loc or owner), self.cat1_of.get(cat, "")), [0] * (weeks + 1))
            for b, n in enumerate(bins):
                acc[b] += n
        self.cache[key] = out
        return out

    def recent_counts(self, scope: str, days: float) -> dict[tuple[int, str], int]:
        """Per (area, level-1 type): the cases of the last ``days`` days (one SQL aggregate)."""
        key = f"recent:{scope}:{days}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        qs = self.window().filter(created_at__gt=self.now - dt.timedelta(days=days), category__isnull=False)
        if scope:
            qs = qs.filter(Q(location_path__startswith=scope) | Q(owner_path__startswith=scope))
        out: dict[tuple[int, str], int] = defaultdict(int)
        for loc, owner, cat, n in (
            qs.values("location_unit_id", "owner_unit_id", "category_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("location_unit_id", "owner_unit_id", "category_id", "n")
        ):
            out[(self.area_of(loc or owner), self.cat1_of.get(cat, ""))] += n
        self.cache[key] = dict(out)
        return self.cache[key]  # type: ignore[no-any-return]

    def current_cases(self, scope: str, area: int | None, cat1: str) -> list[tuple[int, dt.datetime]]:
        """(id, created) of the last 7 days' cases of a type (in an area), oldest first; the week's
        cases are read once per scope (one query) and grouped here."""
        key = f"current:{scope}"
        if key not in self.cache:
            qs = self.window().filter(created_at__gt=self.now - WEEK, category__isnull=False)
            if scope:
                qs = qs.filter(Q(location_path__startswith=scope) | Q(owner_path__startswith=scope))
            grouped: dict[Any, list[tuple[int, dt.datetime]]] = defaultdict(list)
            for pk, created, loc, owner, cat in qs.values_list(
                "pk", "created_at", "location_unit_id", "owner_unit_id", "category_id"
            ):
                c1 = self.cat1_of.get(cat, "")
                grouped[(self.area_of(loc or owner), c1)].append((pk, created))
                grouped[(None, c1)].append((pk, created))
            self.cache[key] = grouped
        return sorted(self.cache[key].get((area, cat1), []), key=lambda x: (x[1], x[0]))

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
        qs = Party.objects.filter(
            case__created_at__gte=self.since, case__created_at__lte=self.now, kind="person"
        ).exclude(phone_hash="", id_hash="")
        cols = ("case_id", "role", "phone_hash", "id_hash")
        rows = [r for r in self._values(qs, cols, key="case_id") if r[0] in self.rows]
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
        cols = ("case_id", "minhash", *[f"b{i}" for i in range(8)])
        qs = TextSignature.objects.filter(created_at__gte=since, created_at__lte=self.now)
        for r in self._values(qs, cols, key="case_id"):
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
