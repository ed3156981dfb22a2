"""Learning curve on the demo county's simulated corrections (issue 20).

    .venv/bin/python bench/bench_demo_curve.py [--task type] [--test-share 0.3]

Reads the database the demo uses (``DATABASE_URL`` or var/fengqiao.sqlite3 after ``make demo-data``):
the dispatchers' confirmations and corrections (``TrainingLabel``, the latest per case), oldest first.
The newest share is held out as the test set, as the nightly job does; training rows that are
near-duplicates of a test row are dropped (grouped split). Then the classifier is trained on the
shipped examples plus the oldest 0 %, 25 %, 50 % and 100 % of the remaining county labels and scored on
the held-out labels: what a county gains from its own corrections as they accumulate. Writes
bench/results/demo_curve.json (numbers only). Report the load average next to the timings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from common import ROOT, print_table, write_result

sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="type", choices=["type", "domain"])
    ap.add_argument("--test-share", type=float, default=0.3)
    ap.add_argument("--steps", default="0,0.25,0.5,1")
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    from fengqiao.triage.learning import base_set, county_labels, score
    from fengqiao.triage.ml.classifier import TextClassifier
    from fengqiao.triage.ml.grouping import leaks, near_duplicate_groups

    rows = county_labels(args.task)
    if len(rows) < 20:
        sys.exit(f"only {len(rows)} county labels of task {args.task}: run `make demo-data` first")
    base_texts, base_labels = base_set(args.task)
    n_test = max(10, round(args.test_share * len(rows)))
    county_train, county_test = rows[:-n_test], rows[-n_test:]
    texts = base_texts + [r[1] for r in rows]
    groups = near_duplicate_groups(texts)
    n_base = len(base_texts)
    test_idx = np.arange(n_base + len(county_train), len(texts))
    test_groups = set(groups[test_idx].tolist())
    keep_base = [i for i in range(n_base) if groups[i] not in test_groups]
    keep_county = [n_base + j for j in range(len(county_train)) if groups[n_base + j] not in test_groups]
    truth = [r[2] for r in county_test]
    test_texts = [r[1] for r in county_test]
    out = []
    for step in [float(s) for s in args.steps.split(",")]:
        used = keep_county[: round(step * len(keep_county))]
        train_idx = keep_base + used
        assert leaks(groups, train_idx, test_idx) == 0
        labels = base_labels + [r[2] for r in rows]
        t0 = time.process_time()
        model = TextClassifier().fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        fit_cpu = time.process_time() - t0
        m = score(args.task, model, test_texts, truth)
        row = {
            "county_labels_used": len(used),
            "share": step,
            "train_size": len(train_idx),
            "macro_f1": m["macro_f1"],
            "accuracy": m["accuracy"],
            "fit_cpu_s": round(fit_cpu, 1),
        }
        out.append(row)
        print(row, flush=True)
    meta = {
        "task": args.task,
        "county_labels": len(rows),
        "held_out": n_test,
        "dropped_as_near_duplicates_of_test": (n_base - len(keep_base)) + (len(county_train) - len(keep_county)),
        "test_classes": len(set(truth)),
        "load": os.getloadavg(),
    }
    print(meta)
    print_table(out, ["county_labels_used", "share", "train_size", "macro_f1", "accuracy", "fit_cpu_s"])
    write_result("demo_curve", out, meta)


if __name__ == "__main__":
    main()
