from pathlib import Path
import pytest
from fengqiao.knowledge.seed import load_articles
from fengqiao.knowledge import search, evaluate

@pytest.mark.django_db
def test_scratch():
    load_articles(); search.forget()
    idx, _ = search.indexes()
    qs = evaluate.read_questions(Path("tests/knowledge/data/questions.tsv"))
    for k in (1, 3, 5):
        rate, misses = evaluate.hit_rate(idx, qs, k)
        print(k, round(rate, 3), len(qs))
    for q, got in misses: print(q.expected, q.text, got)
