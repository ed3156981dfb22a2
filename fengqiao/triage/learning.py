"""Scheduled retraining of the triage classifiers from the county's own decisions (issue 20, part 1).

``nightly()`` — the job registered in run-scheduler and Celery beat — retrains each task (type, domain)
in a child process at low priority on one core (``os.nice`` 10, CPU affinity, BLAS threads 1), so the
web keeps serving. ``retrain(task)`` does one task in-process:

1. Data: the shipped base set (``fengqiao/triage/data``) + the county's labels (``TrainingLabel``: every
   dispatcher confirmation or correction; the latest label per case and task counts).
2. Hold-out: the newest ``holdout_share`` (20 %) of the county's labels, at least ``min_holdout`` (40),
   at most ``max_holdout`` (2,000). Near-duplicates (:mod:`fengqiao.triage.ml.grouping`) are never split:
   every other message in the group of a hold-out message — older county labels and base examples
   alike — is left out of training.
3. The candidate is trained on the rest and measured on the hold-out together with the active version.
4. **Promotion rule**: the candidate is promoted only if (a) its macro-F1 on the hold-out is not lower
   than the active version's, and (b) no class with at least ``min_class_support`` (5) hold-out
   messages loses more than ``class_tolerance`` (0.05) F1. Otherwise it is kept as a candidate with
   the reason (an administrator may still promote it by hand, with a reason). What is promoted is
   exactly the model that was measured.

Skipped (no version written) when the county has fewer than ``min_holdout`` labels or fewer than
``min_new_labels`` (20) new labels since the active version's data. Every version records its data
snapshot (training-set fingerprint, hold-out fingerprint, label cut-off, counts) and both models'
hold-out metrics; the verdict goes through :mod:`fengqiao.triage.actions` (event + audit).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.db import connections
from django.utils import timezone

from fengqiao.triage.ml import registry, training
from fengqiao.triage.ml.classifier import TextClassifier, _metrics, fingerprint
from fengqiao.triage.ml.grouping import grouped_holdout, leaks, near_duplicate_groups

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    holdout_share: float = 0.2
    min_holdout: int = 40
    max_holdout: int = 2000
    min_new_labels: int = 20
    min_class_support: int = 5
    class_tolerance: float = 0.05


@dataclass
class Outcome:
    task: str
    status: str  # "promoted", "candidate", "skipped"
    reason: str
    version: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    """Base examples followed by county labels (oldest first), with the hold-out marked."""

    texts: list[str]
    labels: list[str]  # codes
    created: list[Any]  # None for base examples
    n_base: int
    test_mask: np.ndarray

    @property
    def n_county(self) -> int:
        return len(self.texts) - self.n_base


def county_labels(task: str) -> list[tuple[int, str, str, Any]]:
    """(id, text, label code, created_at) of the county's labels, oldest first; of several labels of
    one case (confirmed, then corrected) only the latest counts."""
    from fengqiao.triage.models import TrainingLabel

    rows = TrainingLabel.objects.filter(task=task).order_by("created_at", "pk")
    latest: dict[Any, tuple[int, str, str, Any]] = {}
    for pk, text, label, created, case_id in rows.values_list("pk", "text", "label", "created_at", "case_id"):
        latest[case_id if case_id is not None else ("row", pk)] = (pk, text, label, created)
    return sorted(latest.values(), key=lambda r: (r[3], r[0]))


def base_set(task: str) -> tuple[list[str], list[str]]:
    """The shipped examples of the task, labels as codes."""
    ds = training.load_dataset(task, [str(training.SHIPPED_DATA[task])], *training.SHIPPED_COLUMNS)
    _by_code, by_name = registry.label_names(task)
    return ds.texts, [by_name.get(lab, lab) for lab in ds.labels]


def snapshot(task: str, config: Config) -> Snapshot:
    texts, labels = base_set(task)
    n_base = len(texts)
    rows = county_labels(task)
    n_test = min(config.max_holdout, max(config.min_holdout, round(config.holdout_share * len(rows))))
    mask = np.zeros(n_base + len(rows), dtype=bool)
    if len(rows) >= config.min_holdout:
        mask[len(mask) - n_test :] = True
    return Snapshot(
        texts=texts + [r[1] for r in rows],
        labels=labels + [r[2] for r in rows],
        created=[None] * n_base + [r[3] for r in rows],
        n_base=n_base,
        test_mask=mask,
    )


def _codes(task: str, predicted: list[str]) -> list[str]:
    _by_code, by_name = registry.label_names(task)
    return [by_name.get(p, p) for p in predicted]


def score(task: str, model: TextClassifier, texts: list[str], truth: list[str]) -> dict[str, Any]:
    """Macro-F1, accuracy and per-class F1 on codes (a model trained on names is mapped to codes)."""
    predicted = _codes(task, model.predict_batch(texts))
    m = _metrics(truth, predicted, sorted(set(truth)))
    return {
        "macro_f1": round(m["macro_f1"], 4),
        "accuracy": round(m["accuracy"], 4),
        "per_class": {c: {"f1": round(v["f1"], 4), "support": v["support"]} for c, v in m["per_class"].items()},
    }


def decide(
    candidate: dict[str, Any], active: dict[str, Any] | None, config: Config, names: dict[str, str] | None = None
) -> tuple[bool, str]:
    """The promotion rule (module docstring): (promote?, reason in plain Chinese; ``names``: code → name)."""
    names = names or {}
    if active is None:
        return True, "当前没有启用的模型，启用新训练的模型"
    c, a = candidate["macro_f1"], active["macro_f1"]
    if c < a:
        return False, f"留出集宏平均F1 {c:.3f} 低于在用版本 {a:.3f}，保留为候选"
    worse = []
    for label, m in active["per_class"].items():
        support = m.get("support", 0)
        if support < config.min_class_support:
            continue
        cf1 = candidate["per_class"].get(label, {}).get("f1", 0.0)
        if cf1 < m["f1"] - config.class_tolerance:
            worse.append(f"{names.get(label, label)}（{m['f1']:.2f}→{cf1:.2f}）")
    if worse:
        listed = "、".join(worse[:5])
        return False, f"以下类别F1下降超过{config.class_tolerance:.2f}：{listed}，保留为候选"
    return True, f"留出集宏平均F1 {c:.3f}（在用版本 {a:.3f}），各类别F1未下降，启用"


def retrain(task: str, config: Config | None = None, *, force: bool = False) -> Outcome:
    """Retrain one task from the base set and the county's labels; promote or keep as candidate."""
    from fengqiao.triage import actions
    from fengqiao.triage.models import ClassifierVersion, TrainingLabel, VersionOrigin

    config = config or Config()
    started = time.perf_counter()
    snap = snapshot(task, config)
    test_idx = np.flatnonzero(snap.test_mask)
    if not test_idx.size:
        return Outcome(task, "skipped", f"本县训练标签 {snap.n_county} 条，少于 {config.min_holdout} 条，暂不重训")
    last = ClassifierVersion.objects.filter(task=task, origin=VersionOrigin.SCHEDULED).order_by("-trained_at").first()
    seen = (last.holdout or {}).get("seen_until") if last is not None else None
    if seen and not force:
        new = TrainingLabel.objects.filter(task=task, created_at__gt=dt.datetime.fromisoformat(seen)).count()
        if new < config.min_new_labels:
            return Outcome(task, "skipped", f"自上次重训以来新增标签 {new} 条，少于 {config.min_new_labels} 条")
    groups = near_duplicate_groups(snap.texts)
    train_idx, test_idx = grouped_holdout(groups, snap.test_mask)
    assert leaks(groups, train_idx, test_idx) == 0
    tr_texts = [snap.texts[i] for i in train_idx]
    tr_labels = [snap.labels[i] for i in train_idx]
    te_texts = [snap.texts[i] for i in test_idx]
    te_labels = [snap.labels[i] for i in test_idx]
    data_sha = fingerprint(tr_texts, tr_labels)
    cutoff = snap.created[int(test_idx.min())]
    version = stem = f"{task}-{timezone.localtime():%Y%m%d%H%M}-{data_sha[:8]}"
    n = 1
    while ClassifierVersion.objects.filter(task=task, version=version).exists():
        n += 1
        version = f"{stem}-{n}"
    t = time.perf_counter()
    model = TextClassifier().fit(tr_texts, tr_labels, version=version)
    train_seconds = time.perf_counter() - t
    cand = score(task, model, te_texts, te_labels)
    loaded = registry.get_model(task)
    base = score(task, loaded[0], te_texts, te_labels) if loaded is not None else None
    promote, reason = decide(cand, base, config, registry.label_names(task)[0])
    path = model.save(registry.model_dir() / f"{version}.model")
    county_train = [i for i in train_idx.tolist() if i >= snap.n_base]
    cut = [snap.created[i] for i in county_train]
    holdout = {
        "n": len(te_texts),
        "sha256": fingerprint(te_texts, te_labels),
        "from": cutoff.isoformat() if cutoff else "",
        "seen_until": max(c for c in snap.created if c is not None).isoformat(),
        "dropped_near_duplicates": int(len(snap.texts) - len(train_idx) - len(test_idx)),
        "candidate": cand,
        "active": base,
        "active_version": loaded[1] if loaded is not None else "",
        "rule": asdict(config),
    }
    cv = training.register(
        task,
        model,
        path,
        sources=[
            f"fengqiao/triage/data/{training.SHIPPED_DATA[task].name} ({snap.n_base})",
            f"TrainingLabel ({len(county_train)})",
        ],
        metrics={
            "macro_f1": cand["macro_f1"],
            "accuracy": cand.get("accuracy"),
            "train_seconds": round(train_seconds, 1),
        },
        notes="定时重训：内置示例 + 本县人工确认/纠正",
    )
    ClassifierVersion.objects.filter(pk=cv.pk).update(
        origin=VersionOrigin.SCHEDULED, data_until=max(cut) if cut else None, holdout=holdout
    )
    actions.record_training(
        cv,
        promote=promote,
        reason=reason,
        data={"macro_f1": cand["macro_f1"], "active_macro_f1": base["macro_f1"] if base else None},
    )
    return Outcome(
        task,
        "promoted" if promote else "candidate",
        reason,
        version=version,
        seconds=round(time.perf_counter() - started, 1),
        details={"train": len(train_idx), "holdout": len(test_idx), "train_seconds": round(train_seconds, 1)},
    )


def low_priority(cpu: int | None = None) -> None:
    """This process: nice 10, one core, one BLAS thread (for the retraining child)."""
    try:
        os.nice(10)
    except OSError:
        log.warning("could not lower the priority of the retraining process")
    try:
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu if cpu is not None else allowed[-1]})
    except (AttributeError, OSError):
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        pass


def _child(tasks: tuple[str, ...], conn: Any) -> None:
    low_priority()
    try:
        conn.send([asdict(retrain(t)) for t in tasks])
    except Exception as exc:
        log.exception("retraining failed")
        conn.send([{"task": ",".join(tasks), "status": "failed", "reason": repr(exc)}])
    finally:
        connections.close_all()
        conn.close()


def nightly(tasks: tuple[str, ...] = registry.TASKS, *, in_process: bool = False) -> list[dict[str, Any]]:
    """The scheduled job: retrain every task in a child process at low priority on one core."""
    if in_process:
        return [asdict(retrain(t)) for t in tasks]
    import multiprocessing

    connections.close_all()  # the child opens its own connections
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(tasks, child), name="triage-retrain")
    proc.start()
    child.close()
    try:
        result: list[dict[str, Any]] = parent.recv()
    except EOFError:
        result = [{"task": ",".join(tasks), "status": "failed", "reason": "retraining process ended"}]
    proc.join()
    return result
