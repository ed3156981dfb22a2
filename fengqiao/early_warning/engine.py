"""One run of every enabled warning model: detect, then raise, update or close warnings.

A run is incremental: the watermark (:class:`RunState`) holds the last case id processed, and the
person, area, domain and 民转刑 models recompute only the persons, area × type pairs and types that
the new cases touch. Issue, group, backlog and sensitive-period models read small windows and run
every time; in an incremental run the issue and group models decide only the clusters and networks
that hold a new case (so a run with nothing new raises and updates nothing of theirs). Once a day (or on request) a full run recomputes everything, so signals that fade with
time are closed. A warning is identified by its fingerprint (model + subject): re-running updates the
open warning instead of raising a duplicate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.early_warning.deadlines import due_for
from fengqiao.early_warning.detectors import REGISTRY
from fengqiao.early_warning.detectors.base import MAX_EVIDENCE, Detector, Finding
from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched
from fengqiao.early_warning.models import (
    OPEN_STATUSES,
    Level,
    RunState,
    SensitivePeriod,
    Status,
    Warning,
    WarningEvent,
    WarningModel,
)
from fengqiao.org.models import Unit

INCREMENTAL = {"person", "area", "domain", "crime"}
FOCUSED = {"issue", "network"}  # read the focused snapshot of an incremental run, but not by subject
FULL_EVERY = dt.timedelta(hours=24)
QUIET_DAYS = 14  # a dismissed warning is not raised again at the same or a lower level for this long
LEVEL_CODES = {1: "blue", 2: "yellow", 3: "orange", 4: "red"}
MAX_CASES = MAX_EVIDENCE


@dataclass
class RunResult:
    raised: list[Warning] = field(default_factory=list)
    updated: list[Warning] = field(default_factory=list)
    closed: list[Warning] = field(default_factory=list)
    full: bool = False
    new_cases: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "raised": [warning_json(w) for w in self.raised],
            "updated": [warning_json(w) for w in self.updated],
            "closed": [warning_json(w) for w in self.closed],
        }


def warning_json(w: Warning) -> dict[str, Any]:
    return {
        "id": w.pk,
        "model": w.model.code,
        "level": LEVEL_CODES[w.level],
        "unit": w.owner_unit.code,
        "unit_name": w.owner_unit.name,
        "status": w.status,
        "title": w.title,
        "evidence": {"cases": w.case_ids, **w.evidence},
    }


def ensure_models() -> list[WarningModel]:
    """One row per built-in model (created with its defaults; an administrator's tuning is kept)."""
    rows = {m.code: m for m in WarningModel.objects.all()}
    for i, (code, d) in enumerate(sorted(REGISTRY.items(), key=lambda kv: kv[0])):
        if code not in rows:
            rows[code] = WarningModel.objects.create(
                code=code,
                name=str(d.name),
                kind=d.kind,
                params=d.defaults(),
                thresholds=dict(d.thresholds),
                sort=i,
            )
    return list(rows.values())


def _touched(snap: Snapshot, after_id: int) -> Touched:
    t = Touched()
    for row in snap.rows.values():
        if row.id > after_id:
            t.case_ids.add(row.id)
            t.persons.update(snap.persons_of_case.get(row.id, []))
            t.persons.update(snap.respondents_of_case.get(row.id, []))
            if row.cat1:
                t.area_types.add((row.area_id, row.cat1))
                t.types.add(row.cat1)
    return t


def _raise_by(now: dt.datetime) -> int:
    today = timezone.localdate(now)
    return max(
        (p.raise_by for p in SensitivePeriod.objects.filter(enabled=True, start__lte=today, end__gte=today)),
        default=0,
    )


def run(now: dt.datetime | None = None, full: bool | None = None, codes: list[str] | None = None) -> RunResult:
    now = now or timezone.now()
    result = RunResult()
    models = [m for m in ensure_models() if m.enabled and m.code in REGISTRY and (codes is None or m.code in codes)]
    with transaction.atomic():
        _analytic_session()
        state, _ = RunState.objects.select_for_update().get_or_create(key="engine")
        top = Case.objects.aggregate(m=Max("pk"))["m"] or 0
        if full is None:
            full = state.last_full_at is None or now - state.last_full_at >= FULL_EVERY
        result.full = full
        days = {m.code: REGISTRY[m.code].lookback_days(REGISTRY[m.code].resolved(m.params)) for m in models}
        lookback = max(days.values(), default=0)
        # the text models' windows: how far back a case's text links it to another (the full snapshot)
        text_days = max([days[m.code] for m in models if REGISTRY[m.code].kind in FOCUSED], default=1)
        if full:
            snap = Snapshot(now, lookback, text_days=text_days)
        else:
            # the cases of open cluster/group warnings (area and domain counts come from SQL aggregates)
            keep = Warning.objects.filter(status__in=OPEN_STATUSES, kind__in=sorted(FOCUSED)).values_list(
                "case_ids", flat=True
            )
            snap = Snapshot(now, lookback, after_id=state.last_case_id, keep={c for ids in keep for c in ids})
        touched = None if full else _touched(snap, state.last_case_id)
        result.new_cases = len(touched.case_ids) if touched else 0
        bump = _raise_by(now)
        units = {u.pk: u for u in Unit.objects.all()}
        writer = _Writer(now, result)
        for m in models:
            d = REGISTRY[m.code]
            # A focused snapshot holds only what the new cases touch: the text and group models see part
            # of the window, so an incremental run never closes their warnings (the daily full run does).
            t = touched if d.kind in INCREMENTAL or d.kind in FOCUSED else None
            scope = m.scope_unit.path if m.scope_unit_id and m.scope_unit else ""
            findings = d.detect(snap, d.resolved(m.params), t, scope)
            if t is not None and d.kind in FOCUSED:
                # A focused snapshot sees part of a cluster or network (what the new cases and the open
                # warnings reach), and a part can pass a test the whole fails (a "growing" subset of
                # a steady cluster) or carry another key. Only what a new case is in is decided here.
                findings = [f for f in findings if t.case_ids.intersection(f.case_ids)]
            writer.apply(m, d, findings, t, bump, units, snap.root_id)
        writer.flush()
        state.last_case_id = max(top, state.last_case_id)
        state.last_run_at = now
        if full:
            state.last_full_at = now
        state.save()
    return result


def _analytic_session() -> None:
    """PostgreSQL, for this run's transaction only: no JIT, and room to group in memory. The run's
    grouped queries over hundreds of thousands of rows are costed above ``jit_above_cost``, and
    compiling them took longer than running them (10.6 of 12.4 s for the text-band query at a million
    cases); with the default 4 MB their sorts and hash tables spilled to disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL work_mem = '64MB'")


class _Writer:
    """Upserts the findings of one model and closes its lapsed warnings; events and audit rows are
    written in bulk at the end of the run."""

    def __init__(self, now: dt.datetime, result: RunResult) -> None:
        self.now = now
        self.result = result
        self.events: list[WarningEvent] = []
        self.audits: list[dict[str, Any]] = []

    def _log(self, w: Warning, code: str, before: str, after: str, reason: str = "", **data: Any) -> None:
        self.events.append(
            WarningEvent(
                warning=w, code=code, at=self.now, status_before=before, status_after=after, reason=reason, data=data
            )
        )
        self.audits.append(
            {
                "action": code,
                "obj": w,
                "username": "system:early_warning",
                "unit_id": w.owner_unit_id,
                "detail": {"model": w.model.code, "level": w.level, **data},
            }
        )

    def apply(
        self,
        m: WarningModel,
        d: Detector,
        findings: list[Finding],
        touched: Touched | None,
        bump: int,
        units: dict[int, Unit],
        root_id: int,
    ) -> None:
        open_rows = list(Warning.objects.filter(model=m, status__in=OPEN_STATUSES).select_related("owner_unit"))
        by_fp = {w.fingerprint: w for w in open_rows}
        seen: set[int] = set()
        for f in findings:
            level = d.level_for(f.score, m.thresholds)
            if level == 0:
                continue
            if bump:
                level = min(Level.RED, level + bump)
            fp = f.fingerprint(m.code)
            w = by_fp.get(fp)
            if w is None and d.match_by_cases:
                w = _overlapping(open_rows, set(f.case_ids), seen)
            unit_id = f.unit_id
            if m.scope_unit_id and unit_id == root_id:
                unit_id = m.scope_unit_id
            unit = units.get(unit_id) or units[root_id]
            evidence = {"explanation": f.explanation, "figures": f.figures, "raised_by_period": bump}
            cases = f.case_ids[:MAX_CASES]
            if w is not None:
                seen.add(w.pk)
                if w.level != level or w.case_ids != cases:
                    before_level = w.level
                    w.level = max(w.level, level) if w.status != Status.ISSUED else level
                    w.case_ids, w.evidence, w.explanation, w.score = cases, evidence, f.explanation, f.score
                    w.last_seen_at = self.now
                    w.version += 1
                    w.save()
                    self._log(w, "warning.update", w.status, w.status, level_before=before_level, cases=len(cases))
                    self.result.updated.append(w)
                else:
                    Warning.objects.filter(pk=w.pk).update(last_seen_at=self.now)
                continue
            recently = Warning.objects.filter(
                fingerprint=fp,
                status=Status.DISMISSED,
                closed_at__gte=self.now - dt.timedelta(days=QUIET_DAYS),
                level__gte=level,
            ).exists()
            if recently:
                continue
            w = Warning(
                model=m,
                kind=m.kind,
                level=level,
                title=f.title,
                explanation=f.explanation,
                evidence=evidence,
                case_ids=cases,
                subject=f.subject,
                fingerprint=fp,
                score=f.score,
                owner_unit=unit,
                signal_at=f.signal_at,
                raised_at=self.now,
                last_seen_at=self.now,
                due_at=due_for(level, self.now),
            )
            w.save()
            by_fp[fp] = w
            seen.add(w.pk)
            self._log(w, "warning.raise", "", Status.ISSUED, cases=len(cases))
            self.result.raised.append(w)
        for w in open_rows:
            if w.pk in seen or w.status != Status.ISSUED or not d.covers(w.subject, touched):
                continue
            w.status = Status.CLOSED
            w.closed_at = self.now
            w.version += 1
            w.save()
            self._log(w, "warning.lapse", Status.ISSUED, Status.CLOSED, reason="信号已消失，自动关闭")
            self.result.closed.append(w)

    def flush(self) -> None:
        WarningEvent.objects.bulk_create(self.events, batch_size=1000)
        audit.record_many(self.audits)


def _overlapping(rows: list[Warning], cases: set[int], seen: set[int]) -> Warning | None:
    best, best_share = None, 0.0
    for w in rows:
        if w.pk in seen or not cases:
            continue
        common = len(cases & set(w.case_ids))
        share = common / max(1, min(len(cases), len(w.case_ids)))
        if share >= 0.5 and share > best_share:
            best, best_share = w, share
    return best
