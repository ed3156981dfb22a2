"""Early warning at scale: generated history with PLANTED signals; recall, precision, delay, run times.

    .venv/bin/python bench/bench_warnings.py [--db postgres] [--cases 1000000] [--days 365]
                                             [--sim-days 14] [--step-days 2] [--new 1000]
                                             [--template warn_tpl_1m [--seed-only]] [--keep]

Its own database ``warn_bench_<cases>``, dropped at the end unless ``--keep``. ``--template`` keeps
the seeded background as that database (name starting ``warn_``) and, when it exists, copies it
instead of seeding again.

Background: ``--cases`` cases spread evenly over ``--days`` days, across the county's towns and
villages and all dispute types, each from a different person (a keyed phone hash) with a text of
random characters (so no two are similar); cases older than 14 days are closed. On PostgreSQL the
background is written with COPY, oldest first (cases, parties, text signatures; ids assigned here,
the sequences moved past them): 641 s for 1 M cases at load 15; the text signature of a background case is 32 random
MinHash values (what the MinHash of a random text is, without hashing a million texts; their band
keys collide as rarely), while the planted cases get the real MinHash of their text. Planted on top, with
starts spread over the last ``--sim-days`` days: repeat persons (three or four cases, some across
channels, some re-reporting after a resolution), group issues (five people, near-copies of one text,
within two days), co-applicant networks, hot areas (a town × type at several times its weekly rate),
domain surges (one type +60 % county-wide) and 民转刑 pairs (a second case with threats).

The engine then runs as the scheduler would, every ``--step-days`` days through the simulated window
(full runs at the simulated time). Recall = planted signals with a matching warning (a model of the
signal's family whose evidence — as raised, or as last updated — shares a planted case) raised at most
one step after the signal starts, i.e. by the first run after its start; precision = warnings raised
that match a planted signal (the unmatched ones are printed with the planted signals they touch);
delay = warning time − signal start. Then a full run at the end is timed, 1,000 new cases are added and an
incremental run is timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import print_table, setup_django, write_result

PG_BASE = "postgres://postgres@127.0.0.1:5432"


def _psql(sql: str) -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _db_exists(name: str) -> bool:
    return _psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def _drop(name: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)


def _from_template(template: str, name: str) -> None:
    """A fresh benchmark database copied from a seeded background (then migrated, in case)."""
    import django
    from django.core.management import call_command

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    (root / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR_DIR"] = str(root / "var" / "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ.setdefault("FENGQIAO_DB_STATEMENT_TIMEOUT_MS", "0")
    _drop(name)
    _psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    os.environ["DATABASE_URL"] = f"{PG_BASE}/{name}"
    django.setup()
    call_command("migrate", verbosity=0)


@dataclass
class Timing:
    """Wall time of one engine run, the CPU time it took (this process and its PostgreSQL backend —
    on a shared machine wall time alone says little), and the load average when it ended."""

    wall: float
    cpu_py: float
    cpu_pg: float
    load: str

    @property
    def cpu(self) -> str:
        return f"{self.cpu_py:.1f} py + {self.cpu_pg:.1f} pg"


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine: /proc), 0 if not readable."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def timed_run(**kwargs: Any) -> tuple[Any, Timing]:
    from fengqiao.early_warning.engine import run

    pg, py, wall = _backend_cpu(), time.process_time(), time.perf_counter()
    result = run(**kwargs)
    wall, py = time.perf_counter() - wall, time.process_time() - py
    return result, Timing(wall, py, _backend_cpu() - pg, load())


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


FAMILIES = {
    "person": {"person_repeat", "person_revisit", "person_multichannel", "person_rising_risk"},
    "group": {"issue_group", "issue_growth", "network_group"},
    "network": {"network_group"},
    "area": {"area_surge", "domain_surge"},  # at small sizes a hot town lifts its type county-wide
    "domain": {"domain_surge", "area_surge"},
    "crime": {"crime_risk"},
}
THREAT = "扬言要动手打人报复"
CHANNELS = ["walk_in", "phone", "grid", "hotline", "qr", "web"]


@dataclass
class Signal:
    kind: str
    start: dt.datetime
    cases: set[int] = field(default_factory=set)


class World:
    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        from fengqiao.cases.models import Category
        from fengqiao.org.choices import UnitKind
        from fengqiao.org.models import Unit

        self.rng = rng
        self.now = now
        self.towns = list(Unit.objects.filter(kind=UnitKind.TOWN).order_by("code"))
        self.villages = {t.pk: list(Unit.objects.filter(parent=t, kind=UnitKind.VILLAGE)) or [t] for t in self.towns}
        subs = {u.parent_id: u for u in Unit.objects.filter(kind=UnitKind.SUBCENTRE)}
        self.owner = {t.pk: subs.get(t.pk, t) for t in self.towns}
        cats = list(Category.objects.filter(parent__isnull=False).select_related("parent"))
        self.cats_by_1: dict[str, list[Any]] = {}
        for c in cats:
            self.cats_by_1.setdefault(c.parent.code, []).append(c)
        self.cats = cats
        bad = set(THREAT + "砍杀烧炸伤刀恐吓威胁拼命弄死打架殴持放火")
        self.chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000) if chr(c) not in bad]
        self.counter = 0
        self.pending: list[tuple[Any, dict[str, Any]]] = []

    def text(self, n: int = 30) -> str:
        return "".join(self.rng.choices(self.chars, k=n))

    def phone_hash(self) -> str:
        from fengqiao.core import crypto

        self.counter += 1
        return crypto.search_hash(f"1{self.counter:010d}")

    def add(
        self,
        when: dt.datetime,
        town: Any,
        category: Any = None,
        text: str = "",
        applicants: list[str] | None = None,
        respondent: str = "",
        channel: str = "",
        risk: str = "low",
        ended: dt.datetime | None = None,
    ) -> dict[str, Any]:
        from fengqiao.cases import codes
        from fengqiao.cases.models import Case

        cat = category or self.rng.choice(self.cats)
        village = self.rng.choice(self.villages[town.pk])
        old = when < self.now - dt.timedelta(days=14)  # closed before the 15-day deadline
        closed = ended or (when + dt.timedelta(days=5) if old else None)
        case = Case(
            code=codes.new_code(),
            title=(text or cat.name)[:30],
            description=text or self.text(),
            category=cat,
            channel=channel or self.rng.choice(["walk_in", "phone", "grid", "hotline", "qr", "web"]),
            owner_unit=self.owner[town.pk],
            owner_path=self.owner[town.pk].path,
            location_unit=village,
            location_path=village.path,
            state="closed" if closed else "accepted",
            risk=risk,
            created_at=when,
            due_at=when + dt.timedelta(days=15),
            resolved_at=closed,
            closed_at=closed,
        )
        meta = {"applicants": applicants or [self.phone_hash()], "respondent": respondent}
        self.pending.append((case, meta))
        return meta

    def background(self, n: int, span_seconds: int) -> None:
        """``n`` background cases through COPY (PostgreSQL), or the ORM elsewhere."""
        from django.db import connection

        if connection.vendor != "postgresql":
            for _ in range(n):
                when = self.now - dt.timedelta(seconds=self.rng.randint(0, span_seconds))
                self.add(when, self.rng.choice(self.towns))
                if len(self.pending) >= 5000:
                    self.flush()
            self.flush()
            return
        import numpy as np

        # Written oldest first, as cases arrive: ids, and the rows on disk, follow time (a table written
        # in random time order makes every windowed scan read the whole table).
        ages = np.sort(np.random.default_rng(self.rng.randrange(2**32)).integers(0, span_seconds + 1, size=n))[::-1]
        for done in range(0, n, 50000):
            self._copy([int(a) for a in ages[done : done + 50000]])

    def _copy(self, ages: list[int]) -> None:
        """Background cases ``ages`` seconds old, in this order."""
        import numpy as np
        from django.db import connection

        from fengqiao.cases.models import Case, Party
        from fengqiao.core import crypto
        from fengqiao.triage.duplicates import band_keys
        from fengqiao.triage.models import TextSignature

        def prepared(model: Any, obj: Any) -> tuple[list[str], list[Any]]:
            fields = list(model._meta.concrete_fields)
            return [f.column for f in fields], [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]

        n = len(ages)
        town = self.towns[0]
        case_cols, case_tpl = prepared(Case, Case(
            code="x", title="x", description="x", category=self.cats[0], channel="web", owner_unit=self.owner[town.pk],
            owner_path="", location_unit=town, location_path="", state="closed", risk="low", created_at=self.now,
        ))  # fmt: skip
        party_cols, party_tpl = prepared(Party, Party(case_id=0, role="applicant", kind="person", phone_hash="x"))
        ci = {c: i for i, c in enumerate(case_cols)}
        pi = {c: i for i, c in enumerate(party_cols)}
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM cases_case")
            first = cur.fetchone()[0] + 1
            cur.execute("SELECT coalesce(max(id), 0) FROM cases_party")
            first_party = cur.fetchone()[0] + 1
        rng = self.rng
        hashes = np.random.default_rng(rng.randrange(2**32)).integers(0, 2**32, size=(n, 32), dtype=np.uint32)
        whens: list[dt.datetime] = []
        with connection.connection.cursor() as cur:
            with cur.copy(f"COPY cases_case ({', '.join(case_cols)}) FROM STDIN") as cp:
                for i in range(n):
                    pk = first + i
                    when = self.now - dt.timedelta(seconds=ages[i])
                    whens.append(when)
                    t = rng.choice(self.towns)
                    village = rng.choice(self.villages[t.pk])
                    cat = rng.choice(self.cats)
                    owner = self.owner[t.pk]
                    closed = when + dt.timedelta(days=5) if when < self.now - dt.timedelta(days=14) else None
                    row = list(case_tpl)
                    text = self.text()
                    for col, value in (
                        ("id", pk), ("code", f"B{pk:011d}"), ("tracking_secret", f"{pk:064x}"), ("title", cat.name),
                        ("description", text), ("category_id", cat.pk), ("channel", rng.choice(CHANNELS)),
                        ("owner_unit_id", owner.pk), ("owner_path", owner.path), ("location_unit_id", village.pk),
                        ("location_path", village.path), ("state", "closed" if closed else "accepted"),
                        ("created_at", when), ("received_at", when), ("updated_at", closed or when),
                        ("due_at", when + dt.timedelta(days=15)), ("resolved_at", closed), ("closed_at", closed),
                    ):  # fmt: skip
                        row[ci[col]] = value
                    cp.write_row(row)
            with cur.copy(f"COPY cases_party ({', '.join(party_cols)}) FROM STDIN") as cp:
                for i in range(n):
                    row = list(party_tpl)
                    self.counter += 1
                    row[pi["id"]] = first_party + i
                    row[pi["case_id"]] = first + i
                    row[pi["phone_hash"]] = crypto.search_hash(f"1{self.counter:010d}")
                    cp.write_row(row)
            cols = ["case_id", "created_at", "minhash"] + [f"b{b}" for b in range(8)]
            with cur.copy(f"COPY {TextSignature._meta.db_table} ({', '.join(cols)}) FROM STDIN") as cp:
                for i in range(n):
                    values = hashes[i]
                    cp.write_row([first + i, whens[i], values.tobytes(), *band_keys(values)])
        with connection.cursor() as cur:
            for table in ("cases_case", "cases_party"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    def flush(self) -> list[int]:
        from fengqiao.cases.models import Case, Party
        from fengqiao.triage.duplicates import signature_row
        from fengqiao.triage.models import TextSignature

        if not self.pending:
            return []
        cases = [c for c, _ in self.pending]
        Case.objects.bulk_create(cases, batch_size=2000)
        parties, sigs = [], []
        for case, meta in self.pending:
            for h in meta["applicants"]:
                parties.append(Party(case_id=case.pk, role="applicant", kind="person", phone_hash=h))
            if meta["respondent"]:
                parties.append(Party(case_id=case.pk, role="respondent", kind="person", phone_hash=meta["respondent"]))
            sigs.append(signature_row(case.pk, f"{case.title}\n{case.description}", case.created_at))
        Party.objects.bulk_create(parties, batch_size=5000)
        TextSignature.objects.bulk_create(sigs, batch_size=5000)
        self.pending = []
        return [c.pk for c in cases]


def plant(world: World, kind: str, start: dt.datetime, weekly_rate: float) -> Signal:
    rng, day = world.rng, dt.timedelta(days=1)
    sig = Signal(kind, start)
    town = rng.choice(world.towns)
    if kind == "person":
        person = world.phone_hash()
        cat1 = rng.choice(list(world.cats_by_1))
        cat = rng.choice(world.cats_by_1[cat1])
        variant = rng.randrange(3)
        if variant == 0:  # three cases in 90 days, across three channels
            for i, ch in enumerate(("walk_in", "hotline", "petition")):
                world.add(start - (2 - i) * 20 * day, town, cat, applicants=[person], channel=ch)
        elif variant == 1:  # re-report after a resolution
            world.add(start - 30 * day, town, cat, applicants=[person], ended=start - 25 * day)
            world.add(start, town, cat, applicants=[person])
        else:  # rising risk
            world.add(start - 15 * day, town, cat, applicants=[person], risk="low")
            world.add(start, town, cat, applicants=[person], risk="high")
        sig.start = start
    elif kind == "group":
        base = world.text(40)
        cat = rng.choice(world.cats)
        for i in range(5):
            t = list(base)
            t[rng.randrange(40)] = rng.choice(world.chars)
            world.add(start + i * 0.5 * day, town, cat, text="".join(t))
        sig.start = start + 1 * day  # the third person
    elif kind == "network":
        people = [world.phone_hash() for _ in range(5)]
        world.add(start - 10 * day, town, applicants=people[:3])
        world.add(start, town, applicants=people[2:])
    elif kind == "area":
        cat1 = rng.choice(list(world.cats_by_1))
        extra = int(3 * weekly_rate) + 8
        for i in range(extra):
            world.add(start + (i / extra) * 3 * day, town, rng.choice(world.cats_by_1[cat1]))
    elif kind == "domain":
        cat1 = rng.choice(list(world.cats_by_1))
        extra = int(0.6 * weekly_rate * len(world.towns)) + 10
        for i in range(extra):
            world.add(start + (i / extra) * 3 * day, rng.choice(world.towns), rng.choice(world.cats_by_1[cat1]))
    elif kind == "crime":
        a, r = world.phone_hash(), world.phone_hash()
        world.add(start - 30 * day, town, applicants=[a], respondent=r)
        world.add(start, town, text=world.text(20) + THREAT + world.text(10), applicants=[a], respondent=r)
    ids = world.flush()
    sig.cases = set(ids)
    return sig


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sim-days", type=int, default=14)
    parser.add_argument("--step-days", type=float, default=2)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--template",
        default="",
        help="PostgreSQL: keep the seeded background as this database (prefix warn_) and reuse it when it exists",
    )
    parser.add_argument("--seed-only", action="store_true", help="stop after writing the background (--template)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    if args.template and not (args.db == "postgres" and args.template.startswith("warn_")):
        parser.error("--template needs --db postgres and a name starting with warn_")
    # this run's own database (two sizes can run side by side), dropped at the end unless --keep
    db_name = f"warn_bench_{args.cases}"
    os.environ["BENCH_PG_URL"] = f"{PG_BASE}/{db_name}"
    reuse = bool(args.template) and _db_exists(args.template)
    if reuse:
        _from_template(args.template, db_name)
    else:
        setup_django(args.db)
    from django.db import connection
    from django.utils import timezone

    from fengqiao.early_warning.models import Warning
    from fengqiao.org.divisions import load_county

    if not reuse:
        load_county("331024", grids_per_village=1)
    rng = random.Random(args.seed)
    now = timezone.now().replace(microsecond=0)
    t0 = time.perf_counter()
    span = args.days * 86400
    if reuse:
        from fengqiao.cases.models import Case

        # the background's "now" is its newest case (cases are spread back from it)
        now = (Case.objects.order_by("-created_at").values_list("created_at", flat=True).first() or now).replace(
            microsecond=0
        ) + dt.timedelta(seconds=1)
        world = World(rng, now)
        print(f"background of {args.cases} cases from template {args.template} (load {load()})", flush=True)
    else:
        world = World(rng, now)
        world.background(args.cases, span)
        seeded = time.perf_counter() - t0
        print(f"background {args.cases} cases in {seeded:.0f}s (load {load()})", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        if args.template:
            connection.close()
            _psql(f'CREATE DATABASE "{args.template}" TEMPLATE "{db_name}"')
            print(f"saved the background as {args.template}", flush=True)
            if args.seed_only:
                _drop(db_name)
                return
    # the planted signals do not depend on whether the background was generated or reused
    rng.seed(args.seed + 1)
    world.counter = args.cases
    weekly_rate = args.cases / (args.days / 7) / len(world.towns) / len(world.cats_by_1)
    n = max(3, args.cases // 40000)
    plan = {"person": 3 * n, "group": n, "network": n, "area": n, "domain": max(2, n // 3), "crime": n}
    window_start = now - dt.timedelta(days=args.sim_days)
    signals: list[Signal] = []
    for kind, count in plan.items():
        for _ in range(count):
            start = window_start + dt.timedelta(seconds=rng.randint(86400, int((args.sim_days - 3) * 86400)))
            signals.append(plant(world, kind, start, weekly_rate))
    generated = time.perf_counter() - t0
    print(f"generated {args.cases} background cases + {sum(len(s.cases) for s in signals)} planted in {generated:.0f}s")

    # the scheduler through the simulated window
    step = dt.timedelta(days=args.step_days)
    t = window_start
    runs: list[Timing] = []
    # A warning is judged on the evidence it was raised with: a later update replaces a surge's cases
    # with the newest of the week (after the surge, ordinary cases).
    evidence_at_raise: dict[int, set[int]] = {}
    while t < now:
        r, tm = timed_run(now=t, full=True)
        runs.append(tm)
        evidence_at_raise.update({w.pk: set(w.case_ids) for w in r.raised})
        print(
            f"run at {t:%m-%d %H:%M}: raised {len(r.raised)} updated {len(r.updated)} closed {len(r.closed)} "
            f"({tm.wall:.1f}s, CPU {tm.cpu}, load {tm.load}, RSS {rss_mb()} MB)",
            flush=True,
        )
        t += step
    final, full_t = timed_run(now=now, full=True)
    evidence_at_raise.update({w.pk: set(w.case_ids) for w in final.raised})
    print(f"final full run {full_t.wall:.1f}s, CPU {full_t.cpu}, load {full_t.load}", flush=True)

    warnings = list(Warning.objects.select_related("model"))

    def evidence(w: Any) -> set[int]:
        return evidence_at_raise.get(w.pk, set()) | set(w.case_ids)

    matched: set[int] = set()
    delays: list[float] = []
    recalled = 0
    for s in signals:
        hits = [w for w in warnings if w.model.code in FAMILIES[s.kind] and s.cases & evidence(w)]
        matched.update(w.pk for w in hits)
        first = min((w.raised_at for w in hits), default=None)
        if first is not None and first <= s.start + step * 1.0001:
            recalled += 1
        if first is not None:
            delays.append(max(0.0, (first - s.start).total_seconds() / 3600))
        if first is None or first > s.start + step * 1.0001:
            late = f"{(first - s.start).total_seconds() / 3600:.0f} h" if first else "never"
            print(f"missed: {s.kind} starting {s.start:%m-%d %H:%M} ({len(s.cases)} cases), warned {late}")
    planted_kind = {c: s.kind for s in signals for c in s.cases}
    for w in warnings:
        if w.pk not in matched:
            kinds = sorted({planted_kind[c] for c in evidence(w) if c in planted_kind})
            print(
                f"unmatched: {w.model.code} {w.title} raised {w.raised_at:%m-%d %H:%M}, {len(w.case_ids)} cases, "
                f"{w.evidence.get('figures')}; shares cases with planted {kinds or 'nothing'}"
            )
    precision = len(matched) / len(warnings) if warnings else 1.0
    recall = recalled / len(signals)
    by_model: dict[str, list[int]] = {}
    for w in warnings:
        by_model.setdefault(w.model.code, [0, 0])[0] += 1
        by_model[w.model.code][1] += w.pk in matched

    # 1,000 new cases, then an incremental run
    # new cases at the background's own rate (1,000 cases are ~9 hours of a 1M-a-year county)
    span_new = max(300, int(args.new * args.days * 86400 / args.cases))
    later = now + dt.timedelta(seconds=span_new)
    for _ in range(args.new):
        world.add(later - dt.timedelta(seconds=rng.randint(0, span_new)), rng.choice(world.towns))
    world.flush()
    inc, inc_t = timed_run(now=later, full=False)
    again, again_t = timed_run(now=later + dt.timedelta(seconds=10), full=False)

    def timing(name: str, tm: Timing) -> dict[str, Any]:
        return {"metric": name, "value": round(tm.wall, 2), "cpu_s": tm.cpu, "load": tm.load}

    rows = [
        {"metric": "background cases", "value": args.cases},
        {"metric": "planted signals", "value": len(signals)},
        {"metric": "recall (within one run)", "value": round(recall, 3)},
        {"metric": "precision", "value": round(precision, 3)},
        {"metric": "median delay signal→warning (h)", "value": round(statistics.median(delays), 1) if delays else None},
        timing("full run at the end (s)", full_t),
        {
            "metric": "mean full run in the window (s)",
            "value": round(statistics.fmean(x.wall for x in runs), 2),
            "cpu_s": f"{statistics.fmean(x.cpu_py for x in runs):.1f} py + {statistics.fmean(x.cpu_pg for x in runs):.1f} pg",
            "load": f"{runs[0].load.split()[0]}–{runs[-1].load.split()[0]}",
        },
        timing(f"incremental run after {args.new} new cases (s)", inc_t),
        timing("incremental run with nothing new (s)", again_t),
        {"metric": "raised by the repeat run with nothing new", "value": len(again.raised)},
        {"metric": "peak RSS of the benchmark process (MB)", "value": rss_mb()},
    ]
    print_table(rows, ["metric", "value", "cpu_s", "load"])
    print({k: f"{v[1]}/{v[0]} matched" for k, v in sorted(by_model.items())})
    print(f"final run: raised {len(final.raised)}, incremental: raised {len(inc.raised)} updated {len(inc.updated)}")
    connection.close()
    if not args.keep and args.db == "postgres":
        _drop(db_name)
    write_result(
        "warnings",
        rows,
        {"db": args.db, "cases": args.cases, "days": args.days, "plan": plan, "by_model": by_model},
    )


if __name__ == "__main__":
    main()
