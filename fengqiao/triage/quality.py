"""Triage quality over time (issue 20, parts 3 and 4): read-only figures for the quality page.

* **Accuracy per week** (Asia/Shanghai weeks, Monday first): of the dispatchers' decisions on a type
  (``TrainingLabel`` of task ``type`` that carry the model's prediction), the share where the decision
  equals the prediction (a confirmation). Only the latest label of a case counts.
* **Confusion**: the most frequent (predicted → decided) pairs that differ, over the window.
* **Low-confidence share per week**: of the cases triaged that week (``TriageResult``), the share whose
  type was not confident (they go to the dispatcher queue).
* **Drift**: a type whose share of the cases registered in the last ``RECENT_WEEKS`` (4) differs from its
  share in the ``BASE_WEEKS`` (8) before by at least ``DRIFT_POINTS`` (3 percentage points) with a
  two-proportion z-score of at least ``DRIFT_Z`` (3).
* **Margin** (active learning): top-1 minus top-2 probability; the smaller, the more a dispatcher's
  decision teaches the model.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

WEEKS = 26
RECENT_WEEKS = 4
BASE_WEEKS = 8
DRIFT_POINTS = 0.03
DRIFT_Z = 3.0


def week_start(at: dt.datetime) -> dt.date:
    d = timezone.localtime(at).date()
    return d - dt.timedelta(days=d.weekday())


def _weeks(now: dt.datetime, n: int) -> list[dt.date]:
    last = week_start(now)
    return [last - dt.timedelta(weeks=i) for i in range(n - 1, -1, -1)]


def accuracy_by_week(task: str = "type", now: dt.datetime | None = None, weeks: int = WEEKS) -> list[dict[str, Any]]:
    """[{week, n, confirmed, accuracy}] oldest first; accuracy None for a week without decisions."""
    from fengqiao.triage.models import TrainingLabel

    now = now or timezone.now()
    days = _weeks(now, weeks)
    since = timezone.make_aware(dt.datetime.combine(days[0], dt.time.min))
    latest: dict[Any, tuple[dt.datetime, str, str]] = {}
    rows = TrainingLabel.objects.filter(task=task, created_at__gte=since).exclude(predicted="")
    for pk, case_id, at, label, predicted in rows.order_by("created_at", "pk").values_list(
        "pk", "case_id", "created_at", "label", "predicted"
    ):
        latest[case_id if case_id is not None else ("row", pk)] = (at, label, predicted)
    n: Counter[dt.date] = Counter()
    ok: Counter[dt.date] = Counter()
    for at, label, predicted in latest.values():
        w = week_start(at)
        n[w] += 1
        ok[w] += label == predicted
    return [
        {"week": d, "n": n[d], "confirmed": ok[d], "accuracy": round(ok[d] / n[d], 4) if n[d] else None} for d in days
    ]


def confusion(
    task: str = "type", now: dt.datetime | None = None, weeks: int = WEEKS, top: int = 12
) -> list[dict[str, Any]]:
    """[{predicted, decided, n}] of the corrections (latest label per case), most frequent first."""
    from fengqiao.triage.ml import registry
    from fengqiao.triage.models import TrainingLabel

    now = now or timezone.now()
    since = now - dt.timedelta(weeks=weeks)
    latest: dict[Any, tuple[str, str]] = {}
    rows = TrainingLabel.objects.filter(task=task, created_at__gte=since).exclude(predicted="")
    for pk, case_id, label, predicted in rows.order_by("created_at", "pk").values_list(
        "pk", "case_id", "label", "predicted"
    ):
        latest[case_id if case_id is not None else ("row", pk)] = (predicted, label)
    pairs = Counter(p for p in latest.values() if p[0] != p[1])
    by_code, _ = registry.label_names(task)
    return [
        {"predicted": by_code.get(p, p), "decided": by_code.get(d, d), "n": k}
        for (p, d), k in sorted(pairs.items(), key=lambda x: (-x[1], x[0]))[:top]
    ]


def low_confidence_by_week(now: dt.datetime | None = None, weeks: int = WEEKS) -> list[dict[str, Any]]:
    """[{week, n, low, share}] of triaged cases whose type was not confident, oldest first."""
    from fengqiao.triage.models import TriageResult

    now = now or timezone.now()
    days = _weeks(now, weeks)
    since = timezone.make_aware(dt.datetime.combine(days[0], dt.time.min))
    n: Counter[dt.date] = Counter()
    low: Counter[dt.date] = Counter()
    for at, confident in TriageResult.objects.filter(ran_at__gte=since).values_list("ran_at", "confident"):
        w = week_start(at)
        n[w] += 1
        low[w] += not confident
    return [{"week": d, "n": n[d], "low": low[d], "share": round(low[d] / n[d], 4) if n[d] else None} for d in days]


@dataclass
class Drift:
    code: str
    name: str
    recent: int
    recent_share: float
    base: int
    base_share: float
    z: float

    @property
    def rising(self) -> bool:
        return self.recent_share > self.base_share


def drift(now: dt.datetime | None = None) -> list[Drift]:
    """Types whose share of new cases changed fast (module docstring), largest |z| first."""
    from fengqiao.cases.models import Case

    now = now or timezone.now()
    this_week = week_start(now)
    recent_from = this_week - dt.timedelta(weeks=RECENT_WEEKS - 1)
    base_from = recent_from - dt.timedelta(weeks=BASE_WEEKS)
    start = timezone.make_aware(dt.datetime.combine(base_from, dt.time.min))
    recent: Counter[tuple[str, str]] = Counter()
    base: Counter[tuple[str, str]] = Counter()
    rows = Case.objects.filter(created_at__gte=start, category__isnull=False).values_list(
        "created_at", "category__code", "category__name"
    )
    for at, code, name in rows:
        (recent if week_start(at) >= recent_from else base)[(code, name)] += 1
    return drift_from(recent, base)


def drift_from(recent: Counter[tuple[str, str]], base: Counter[tuple[str, str]]) -> list[Drift]:
    """Drift from counts per (code, name) in the recent and the base weeks."""
    nr, nb = sum(recent.values()), sum(base.values())
    if not nr or not nb:
        return []
    out = []
    for key in set(recent) | set(base):
        a, b = recent[key], base[key]
        pa, pb = a / nr, b / nb
        pooled = (a + b) / (nr + nb)
        se = math.sqrt(pooled * (1 - pooled) * (1 / nr + 1 / nb)) if 0 < pooled < 1 else 0.0
        z = (pa - pb) / se if se else 0.0
        if abs(pa - pb) >= DRIFT_POINTS and abs(z) >= DRIFT_Z:
            out.append(Drift(key[0], key[1], a, round(pa, 4), b, round(pb, 4), round(z, 2)))
    return sorted(out, key=lambda d: -abs(d.z))


def margin(top: list[dict[str, Any]]) -> float:
    """Top-1 minus top-2 probability of a stored ``type_top`` (1.0 without a second candidate)."""
    ps = [float(t.get("p") or 0) for t in top or []]
    if not ps:
        return 0.0  # no suggestion at all: a dispatcher's type teaches the most
    return round(ps[0] - (ps[1] if len(ps) > 1 else 0.0), 4)


def learning_queue(case_ids: Any, limit: int = 200) -> list[Any]:
    """The dispatcher queue's cases with an unconfirmed type, smallest margin first (active learning)."""
    from fengqiao.triage.models import TriageResult

    rows = list(
        TriageResult.objects.filter(needs_review=True, reviewed_at__isnull=True, case_id__in=case_ids)
        .select_related("case", "case__owner_unit")
        .order_by("-ran_at")[:2000]
    )
    rows = [r for r in rows if not r.confident]
    for r in rows:
        r.margin = margin(r.type_top)  # type: ignore[attr-defined]
    rows.sort(key=lambda r: (r.margin, -r.ran_at.timestamp()))  # type: ignore[attr-defined]
    return rows[:limit]
