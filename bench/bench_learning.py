"""Triage that keeps learning (issue 20): learning curve, retraining time at 100,000 cases, latency.

    .venv/bin/python bench/bench_learning.py [--csv PATH] [--sizes 500,1000,2000,4000] [--big 100000]
        [--folds 5] [--skip-big] [--skip-curve]

1. Learning curve on the shared citizen messages (shared/data/triage/citizen_messages_train.csv; not
   shipped): grouped 5-fold CV (near-duplicate groups, fengqiao.triage.ml.grouping, never split); in each
   fold the classifier is trained on a stratified random subset of n training messages and scored on the
   whole test fold; macro-F1 mean ± std over folds. A size larger than a training fold is reported at
   the fold's full size (with 4,174 messages a fold trains on about 3,340).
2. Retraining on ``--big`` labelled cases: the core of the nightly job (near-duplicate grouping, grouped
   hold-out of the newest 2,000, training, scoring the hold-out) in a process at nice 10 pinned to one
   core with one BLAS thread, as the job runs. The cases are the shared messages recombined (sentences
   shuffled and mixed within a label, numbers varied), so the text is real but the set is larger.
3. Latency of ``predict_top`` one message at a time (p50/p99 wall and CPU) of the model from the largest
   learning-curve size.

Writes bench/results/learning.json (numbers only). Report the load average next to the timings.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, write_result

sys.path.insert(0, str(ROOT))

from fengqiao.triage.ml.classifier import TextClassifier, _latency_summary, _latency_times, _metrics
from fengqiao.triage.ml.grouping import grouped_holdout, leaks, near_duplicate_groups

SHARED = Path("/work/shared/data/triage/citizen_messages_train.csv")


def load(path: Path) -> tuple[list[str], list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [f"{r['subject']}\n{r['text']}".strip() for r in rows], [r["label"] for r in rows]


def _subset(idx: np.ndarray, labels: list[str], n: int, rng: np.random.Generator) -> np.ndarray:
    """A stratified random subset of ``idx`` of size n (all of it when n >= len(idx))."""
    if n >= len(idx):
        return idx
    y = np.array([labels[i] for i in idx])
    out = []
    for c in sorted(set(y.tolist())):
        members = idx[y == c]
        k = max(1, round(n * len(members) / len(idx)))
        out.append(rng.choice(members, size=min(k, len(members)), replace=False))
    return np.concatenate(out)


def learning_curve(
    texts: list[str], labels: list[str], sizes: list[int], folds: int, max_folds: int = 0
) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedGroupKFold

    t = time.perf_counter()
    groups = near_duplicate_groups(texts)
    group_s = time.perf_counter() - t
    splits = list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0).split(texts, labels, groups))
    if max_folds:
        splits = splits[:max_folds]  # a bounded run on a busy machine: the first folds only
    rng = np.random.default_rng(0)
    curve = []
    last_model = None
    for n in sizes:
        f1s, accs, used = [], [], []
        for tr, te in splits:
            assert leaks(groups, tr, te) == 0
            sub = _subset(tr, labels, n, rng)
            model = TextClassifier().fit([texts[i] for i in sub], [labels[i] for i in sub])
            pred = model.predict_batch([texts[i] for i in te])
            m = _metrics([labels[i] for i in te], pred, model.classes_)
            f1s.append(m["macro_f1"])
            accs.append(m["accuracy"])
            used.append(len(sub))
            last_model = (model, [texts[i] for i in te])
        row = {
            "requested": n,
            "trained_on_mean": round(float(np.mean(used))),
            "macro_f1": round(float(np.mean(f1s)), 4),
            "macro_f1_std": round(float(np.std(f1s)), 4),
            "accuracy": round(float(np.mean(accs)), 4),
            "folds_run": len(f1s),
        }
        curve.append(row)
        print(row, flush=True)
    assert last_model is not None
    lat = _latency_summary(_latency_times(last_model[0], last_model[1]))
    return {
        "n": len(texts),
        "groups": len(set(groups.tolist())),
        "grouping_seconds": round(group_s, 2),
        "folds": folds,
        "curve": curve,
        "latency_ms": {k: round(v, 3) for k, v in lat.items()},
    }


_SENT = re.compile(r"(?<=[。！？!?；;])")


def synthesize(texts: list[str], labels: list[str], n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """n labelled texts recombined from real messages of the same label (sentences shuffled and mixed)."""
    rng = random.Random(seed)
    by_label: dict[str, list[list[str]]] = {}
    for t, lab in zip(texts, labels, strict=True):
        by_label.setdefault(lab, []).append([s for s in _SENT.split(t) if s.strip()])
    names = sorted(by_label)
    out_t, out_l = [], []
    for i in range(n):
        lab = names[i % len(names)] if i % 3 else rng.choice(names)
        a, b = rng.choice(by_label[lab]), rng.choice(by_label[lab])
        sents = a[: max(1, len(a) // 2 + rng.randint(0, 2))] + b[len(b) // 2 :]
        rng.shuffle(sents)
        text = re.sub(r"\d+", lambda m: str(rng.randint(1, 999)), "".join(sents))
        out_t.append(text[:1200])
        out_l.append(lab)
    return out_t, out_l


def big_retrain(texts: list[str], labels: list[str], n: int, holdout: int = 2000, nice: int = 10) -> dict[str, Any]:
    """The nightly job's core on n cases, in this process at nice 10 (``--nice``) on one core."""
    os.nice(nice)
    cpu = sorted(os.sched_getaffinity(0))[-1]
    os.sched_setaffinity(0, {cpu})
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    big_t, big_l = synthesize(texts, labels, n)
    started = time.perf_counter()
    cpu0 = time.process_time()
    t = time.perf_counter()
    groups = near_duplicate_groups(big_t)
    grouping = time.perf_counter() - t
    grouping_cpu = time.process_time() - cpu0
    mask = np.zeros(n, dtype=bool)
    mask[-holdout:] = True
    tr, te = grouped_holdout(groups, mask)
    assert leaks(groups, tr, te) == 0
    t = time.perf_counter()
    c = time.process_time()
    model = TextClassifier().fit([big_t[i] for i in tr], [big_l[i] for i in tr])
    fit = time.perf_counter() - t
    fit_cpu = time.process_time() - c
    m = _metrics([big_l[i] for i in te], model.predict_batch([big_t[i] for i in te]), model.classes_)
    total = time.perf_counter() - started
    return {
        "cases": n,
        "trained_on": len(tr),
        "holdout": len(te),
        "groups": len(set(groups.tolist())),
        "grouping_seconds": round(grouping, 1),
        "fit_seconds": round(fit, 1),
        "grouping_cpu_seconds": round(grouping_cpu, 1),
        "fit_cpu_seconds": round(fit_cpu, 1),
        "total_seconds": round(total, 1),
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "holdout_macro_f1": round(m["macro_f1"], 4),
        "nice": os.nice(0),
        "cpu": cpu,
        "loadavg_after": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", type=Path, default=SHARED)
    ap.add_argument("--sizes", default="500,1000,2000,4000")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--max-folds", type=int, default=0, help="run only the first N folds (bounded runs)")
    ap.add_argument("--big", type=int, default=100_000)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-curve", action="store_true")
    ap.add_argument("--nice", type=int, default=10, help="niceness of the retraining (the job uses 10)")
    a = ap.parse_args()
    texts, labels = load(a.csv)
    result: dict[str, Any] = {"loadavg_before": os.getloadavg(), "cores": os.cpu_count()}
    if not a.skip_curve:
        result["learning_curve"] = learning_curve(
            texts, labels, [int(x) for x in a.sizes.split(",")], a.folds, a.max_folds
        )
        print(result["learning_curve"], flush=True)
    if not a.skip_big:
        result["retrain_big"] = big_retrain(texts, labels, a.big, nice=a.nice)
        print(result["retrain_big"], flush=True)
    result["loadavg_after"] = os.getloadavg()
    name = "learning" if not (a.skip_big or a.skip_curve) else ("learning_curve" if a.skip_big else "learning_big")
    name += os.environ.get("BENCH_SUFFIX", "")
    write_result(name, [result])


if __name__ == "__main__":
    main()
