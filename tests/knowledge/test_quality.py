"""Retrieval quality on the 253 real-style questions the project wrote (target: top-3 ≥ 0.85)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fengqiao.knowledge import evaluate, search
from fengqiao.knowledge.seed import read

QUESTIONS = Path(__file__).parent / "data" / "questions.tsv"


def test_question_set_is_large_and_points_at_real_articles() -> None:
    qs = evaluate.read_questions(QUESTIONS)
    slugs = {a["slug"] for a in read(Path("fengqiao/knowledge/data/articles.yaml"))}
    assert len(qs) >= 200
    assert all(s in slugs for q in qs for s in q.expected)


@pytest.mark.django_db
def test_top3_hit_rate(corpus: Any) -> None:
    idx, _cases = search.indexes()
    rate, misses = evaluate.hit_rate(idx, evaluate.read_questions(QUESTIONS), k=3)
    assert rate >= 0.85, [(m.text, got) for m, got in misses]
