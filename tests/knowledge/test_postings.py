"""The NumPy postings scorer ranks exactly as the rank-bm25 implementation it replaced.

The reference below is the former ``Index.search`` scoring (one ``BM25Okapi.get_batch_scores`` call
per weighted word over the candidate documents, summed, then a stable sort), written out in plain
Python with rank-bm25's formulas; when rank-bm25 is installed it is checked against the library too.
Compared on the project's articles plus near-copies (ties) for every question of the question set."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fengqiao.knowledge import evaluate, redact, search
from fengqiao.knowledge.search import SYNONYM_WEIGHT, SYNONYMS, Doc
from fengqiao.knowledge.seed import ARTICLES_FILE, read

QUESTIONS = Path(__file__).parent / "data" / "questions.tsv"


def rows() -> list[tuple[Doc, dict[str, str]]]:
    out = []
    for i, a in enumerate(read(ARTICLES_FILE)):
        for copy in range(2 if i % 5 == 0 else 1):  # every fifth article twice: equal scores
            slug = a["slug"] + ("-copy" if copy else "")
            doc = Doc(f"a:{slug}", len(out) + 1, slug, a["title"], a.get("kind", "faq"), a.get("summary", ""),
                      i % 7 != 3, tuple(a.get("types") or ()), tuple(a.get("domains") or ()))  # fmt: skip
            fields = {
                "title": a["title"],
                "keywords": a.get("keywords", ""),
                "summary": a.get("summary", ""),
                "body": a["body"],
            }
            out.append((doc, fields))
    return out


class ReferenceBM25:
    """rank-bm25's BM25Okapi (k1 1.5, b 0.75, epsilon 0.25), dictionaries and loops."""

    def __init__(self, corpus: list[list[str]]) -> None:
        self.doc_len = [len(d) for d in corpus]
        self.avgdl = sum(self.doc_len) / len(corpus)
        self.doc_freqs: list[dict[str, int]] = []
        nd: dict[str, int] = {}
        for d in corpus:
            f: dict[str, int] = {}
            for w in d:
                f[w] = f.get(w, 0) + 1
            self.doc_freqs.append(f)
            for w in f:
                nd[w] = nd.get(w, 0) + 1
        self.idf = {w: math.log(len(corpus) - n + 0.5) - math.log(n + 0.5) for w, n in nd.items()}
        eps = 0.25 * sum(self.idf.values()) / len(self.idf)
        self.idf = {w: (v if v >= 0 else eps) for w, v in self.idf.items()}

    def get_batch_scores(self, query: list[str], ids: list[int]) -> list[float]:
        out = []
        for i in ids:
            s = 0.0
            for q in query:
                tf = self.doc_freqs[i].get(q, 0)
                norm = 1.5 * (1 - 0.75 + 0.75 * self.doc_len[i] / self.avgdl)
                s += self.idf.get(q, 0) * (tf * 2.5 / (tf + norm))
            out.append(s)
        return out


def reference_top(
    idx: search.Index, bm25: object, words: list[str], k: int, public_only: bool
) -> list[tuple[str, float]]:
    weights: dict[str, float] = dict.fromkeys(words, 1.0)
    for w in words:
        for syn in SYNONYMS.get(w, ()):
            weights.setdefault(syn, SYNONYM_WEIGHT)
    postings: dict[str, set[int]] = {}
    for i, d in enumerate(bm25.doc_freqs):  # type: ignore[attr-defined]
        for w in d:
            postings.setdefault(w, set()).add(i)
    known = [w for w in weights if w in postings]
    ids = sorted({i for w in known for i in postings[w] if idx.docs[i].public or not public_only})
    total = [0.0] * len(ids)
    for w in known:
        for j, s in enumerate(bm25.get_batch_scores([w], ids)):  # type: ignore[attr-defined]
            total[j] += weights[w] * float(s)
    order = sorted(range(len(ids)), key=lambda j: -total[j])[:k]
    return [(idx.docs[ids[j]].key, round(total[j], 3)) for j in order]


def corpus_bags(data: list[tuple[Doc, dict[str, str]]]) -> list[list[str]]:
    return [search.document_tokens(fields)[0] or ["∅"] for _doc, fields in data]


@pytest.mark.parametrize("public_only", [True, False])
def test_same_top_k_as_the_reference_on_the_question_set(public_only: bool) -> None:
    data = rows()
    idx = search.build(data, "t")
    ref = ReferenceBM25(corpus_bags(data))
    questions = evaluate.read_questions(QUESTIONS)
    assert len(questions) >= 200
    for q in questions:
        words = search.tokenize(redact.scrub(q.text))
        got = [(h.doc.key, h.score) for h in idx.search(words, k=5, public_only=public_only)]
        assert got == reference_top(idx, ref, words, 5, public_only), q.text


def test_same_scores_as_rank_bm25_itself() -> None:
    rank_bm25 = pytest.importorskip("rank_bm25")
    data = rows()
    idx = search.build(data, "t")
    lib = rank_bm25.BM25Okapi(corpus_bags(data))
    for q in evaluate.read_questions(QUESTIONS)[:60]:
        words = search.tokenize(redact.scrub(q.text))
        got = [(h.doc.key, h.score) for h in idx.search(words, k=5, public_only=False)]
        assert got == reference_top(idx, lib, words, 5, False), q.text
    for w, v in lib.idf.items():
        assert idx.idf(w) == v


def test_postings_hold_each_word_once_per_document_in_order() -> None:
    idx = search.build(rows(), "t")
    p = idx.postings
    assert p is not None
    assert p.indptr[-1] == len(p.docs) == len(p.tf)
    for w in ("工资", "噪音", "宅基地"):
        t = p.vocab[w]
        docs = p.docs[p.indptr[t] : p.indptr[t + 1]].tolist()
        assert docs == sorted(set(docs))
        assert all(w in set().union(*idx.docs[d].fields.values()) for d in docs)
