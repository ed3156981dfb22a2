"""Evaluation of a triage classifier: metrics on a labelled set, per-message latency, stratified and
grouped cross-validation (plain Python). Grouped folds keep near-duplicate messages
(:mod:`fengqiao.triage.ml.grouping`) on one side of every split."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

if TYPE_CHECKING:
    from fengqiao.triage.ml.classifier import TextClassifier


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def _metrics(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(classes) | set(truth))
    prec, rec, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, average=None, zero_division=0
    )
    return {
        "macro_f1": float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "per_class": {
            lab: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for lab, p, r, f, s in zip(labels, prec, rec, f1, support, strict=True)
        },
    }


def evaluate(
    model: TextClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    latency: bool = True,
    latency_samples: int | None = None,
) -> dict[str, Any]:
    """Macro-F1, accuracy and per-class precision/recall/F1/support of ``model`` on labelled texts, plus
    the latency of ``predict_top`` measured one message at a time (p50/p99/mean in milliseconds)."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    predicted = model.predict_batch(texts)
    result = _metrics(list(labels), predicted, model.classes_)
    result["n"] = len(texts)
    if latency and texts:
        sample = list(texts)[:latency_samples] if latency_samples else list(texts)
        result["latency_ms"] = _latency(model, sample)
    return result


def _latency(model: TextClassifier, texts: Sequence[str]) -> dict[str, float]:
    return _latency_summary(_latency_times(model, texts))


def _latency_summary(times: Sequence[tuple[float, float]]) -> dict[str, float]:
    """Wall-clock p50/p99/mean/max, and the same percentiles of the CPU time of the calling thread
    (``cpu_p50``/``cpu_p99``: what one core spends, unaffected by waiting for a busy machine)."""
    wall = [w for w, _ in times]
    cpu = [c for _, c in times]
    return {
        "p50": _percentile(wall, 50),
        "p95": _percentile(wall, 95),
        "p99": _percentile(wall, 99),
        "mean": float(np.mean(wall)),
        "max": float(np.max(wall)),
        "cpu_p50": _percentile(cpu, 50),
        "cpu_p95": _percentile(cpu, 95),
        "cpu_p99": _percentile(cpu, 99),
        "n": len(times),
    }


def _cv_fold(
    texts: Sequence[str],
    labels: Sequence[str],
    train: np.ndarray,
    test: np.ndarray,
    params: dict[str, Any],
    latency: bool,
) -> dict[str, Any]:
    from fengqiao.triage.ml.classifier import TextClassifier

    model = TextClassifier(**params).fit([texts[i] for i in train], [labels[i] for i in train])
    test_texts = [texts[i] for i in test]
    predicted = model.predict_batch(test_texts)
    truth = [labels[i] for i in test]
    out: dict[str, Any] = {
        "test": test.tolist(),
        "predicted": predicted,
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "train_seconds": model.metadata["train_seconds"],
    }
    if latency:
        out["latency_times"] = _latency_times(model, test_texts)
    return out


def _latency_times(model: TextClassifier, texts: Sequence[str]) -> list[tuple[float, float]]:
    """(wall, thread CPU) milliseconds of each ``predict_top`` call, one message at a time, after a
    short warm-up."""
    for t in texts[:5]:
        model.predict_top(t)
    times = []
    for t in texts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        model.predict_top(t, k=3)
        times.append(((time.perf_counter() - start) * 1000.0, (time.thread_time() - start_cpu) * 1000.0))
    return times


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    *,
    n_jobs: int = 1,
    latency: bool = False,
    groups: Sequence[int] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Stratified K-fold cross-validation of ``TextClassifier(**params)``; with ``groups`` (e.g.
    :func:`fengqiao.triage.ml.grouping.near_duplicate_groups`) stratified *group* K-fold, so the
    members of a group are always on the same side of every split.

    Returns the mean and standard deviation over folds of macro-F1 and accuracy, the per-fold numbers,
    per-class metrics of the pooled out-of-fold predictions and, with ``latency=True``, the latency of
    ``predict_top`` one message at a time over all out-of-fold messages.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    from fengqiao.triage.ml.classifier import TextClassifier

    texts, labels = list(texts), [str(lab).strip() for lab in labels]
    TextClassifier(**params)  # validate parameters before spawning work
    if groups is not None:
        from sklearn.model_selection import StratifiedGroupKFold

        sgkf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = list(sgkf.split(np.zeros(len(labels)), labels, np.asarray(groups)))
    else:
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = list(skf.split(np.zeros(len(labels)), labels))
    if n_jobs == 1:
        results = [_cv_fold(texts, labels, tr, te, params, latency) for tr, te in splits]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(
            delayed(_cv_fold)(texts, labels, tr, te, params, latency) for tr, te in splits
        )
    oof: list[str] = [""] * len(labels)
    for res in results:
        for i, pred in zip(res["test"], res["predicted"], strict=True):
            oof[i] = pred
    f1s = [r["macro_f1"] for r in results]
    accs = [r["accuracy"] for r in results]
    pooled = _metrics(labels, oof, sorted(set(labels)))
    out: dict[str, Any] = {
        "folds": folds,
        "seed": seed,
        "grouped": groups is not None,
        "n": len(labels),
        "params": TextClassifier(**params).params,
        "macro_f1": float(np.mean(f1s)),
        "macro_f1_std": float(np.std(f1s)),
        "accuracy": float(np.mean(accs)),
        "accuracy_std": float(np.std(accs)),
        "fold_macro_f1": f1s,
        "fold_accuracy": accs,
        "pooled_macro_f1": pooled["macro_f1"],
        "per_class": pooled["per_class"],
        "train_seconds_mean": float(np.mean([r["train_seconds"] for r in results])),
    }
    if latency:
        out["latency_ms"] = _latency_summary([t for r in results for t in r["latency_times"]])
    return out


def grouped_cross_validate(
    texts: Sequence[str], labels: Sequence[str], folds: int = 5, seed: int = 0, **kwargs: Any
) -> dict[str, Any]:
    """:func:`cross_validate` with near-duplicate groups (no near-duplicate on both sides of a split)."""
    from fengqiao.triage.ml.grouping import near_duplicate_groups

    groups = near_duplicate_groups(texts)
    out = cross_validate(texts, labels, folds, seed, groups=groups.tolist(), **kwargs)
    out["groups"] = len(set(groups.tolist()))
    return out
