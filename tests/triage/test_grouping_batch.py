"""Near-duplicate grouping at scale (issue 20): the batch MinHash equals the per-text one, planted
near-duplicate families are never split across a grouped train/test split, and the classifier's
calibration sample above ``calibration_max`` is stratified."""

from __future__ import annotations

import random

import numpy as np

from fengqiao.triage.ml import grouping
from fengqiao.triage.ml.classifier import _calibration_sample
from fengqiao.triage.ml.grouping import grouped_holdout, leaks, near_duplicate_groups, normalise

CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]


def test_batch_minhash_equals_per_text_minhash_across_blocks(monkeypatch) -> None:
    texts = ["", "甲", "甲乙", "甲乙丙", "ＡＢ c，12 号!", "邻居建房挡住采光，多次协商未果" * 40, "拖欠工资"]
    norms = [normalise(t) for t in texts]
    one_by_one = np.vstack([grouping.minhash(t) for t in norms])
    assert (grouping.minhash_all(norms) == one_by_one).all()
    monkeypatch.setattr(grouping, "_CHUNK", 4)  # blocks of one or two texts: the block edges too
    assert (grouping.minhash_all(norms) == one_by_one).all()
    assert grouping.minhash_all([]).shape == (0, grouping.NUM_PERM)


def test_planted_near_duplicates_never_split_across_a_grouped_holdout() -> None:
    """300 families: an 80-character text and two copies with 1–2 characters changed (3-gram Jaccard
    ≥ 0.86, found by LSH with probability > 0.998 each), shuffled among 600 unrelated texts; the newest
    quarter is the hold-out. Every family sits in one group, no training text is in a test text's
    group, and unrelated texts stay apart."""
    rng = random.Random(20)
    texts: list[str] = []
    family: list[int] = []
    for f in range(300):
        base = [rng.choice(CHARS) for _ in range(80)]
        for _ in range(3):
            t = list(base)
            for _ in range(rng.randint(0, 2)):
                t[rng.randrange(80)] = rng.choice(CHARS)
            texts.append("".join(t))
            family.append(f)
    for i in range(600):
        texts.append("".join(rng.choice(CHARS) for _ in range(80)))
        family.append(1000 + i)
    order = list(range(len(texts)))
    rng.shuffle(order)
    texts = [texts[i] for i in order]
    family = [family[i] for i in order]
    groups = near_duplicate_groups(texts)
    by_family: dict[int, set[int]] = {}
    for g, f in zip(groups.tolist(), family, strict=True):
        by_family.setdefault(f, set()).add(g)
    assert all(len(gs) == 1 for gs in by_family.values())  # no family split
    assert len(set(groups.tolist())) == 900  # and none merged with another
    mask = np.zeros(len(texts), dtype=bool)
    mask[-len(texts) // 4 :] = True
    train, test = grouped_holdout(groups, mask)
    assert leaks(groups, train, test) == 0
    test_families = {family[i] for i in test.tolist()}
    assert not test_families & {family[i] for i in train.tolist()}
    # a naive split by time leaks: some family has copies on both sides
    naive_train = np.flatnonzero(~mask)
    assert leaks(groups, naive_train, test) > 0


def test_calibration_sample_is_stratified_and_only_above_the_limit() -> None:
    y = np.array([0] * 900 + [1] * 90 + [2] * 10)
    assert _calibration_sample(y, 1000, 0) is None and _calibration_sample(y, 0, 0) is None
    s = _calibration_sample(y, 100, 0)
    assert s is not None
    assert np.bincount(y[s]).tolist() == [90, 9, 3]  # proportional, at least 3 of a small class
    assert len(set(s.tolist())) == len(s) and (np.diff(s) > 0).all()
