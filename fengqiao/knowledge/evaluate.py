"""Retrieval quality: top-k hit rate of a question set (expected article slugs per question)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fengqiao.knowledge import redact, search


@dataclass
class Question:
    text: str
    expected: tuple[str, ...]


def read_questions(path: Path) -> list[Question]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        slugs, text = line.split("\t", 1)
        out.append(Question(text.strip(), tuple(s.strip() for s in slugs.split(",") if s.strip())))
    return out


def hit_rate(
    index: search.Index, questions: list[Question], k: int = 3
) -> tuple[float, list[tuple[Question, list[str]]]]:
    """(share of questions with an expected article in the top ``k``, the misses with what came back)."""
    hits = 0
    misses = []
    for q in questions:
        got = [h.doc.slug for h in index.search(search.tokenize(redact.scrub(q.text)), k=k, public_only=False)]
        if any(s in got for s in q.expected):
            hits += 1
        else:
            misses.append((q, got))
    return (hits / len(questions) if questions else 0.0), misses
