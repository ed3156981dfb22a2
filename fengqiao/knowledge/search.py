"""BM25 retrieval over jieba words of the published articles and the approved library entries, with
field boosts and an explanation of every hit.

Scoring is Okapi BM25 exactly as rank-bm25's ``BM25Okapi`` computes it (k1 = 1.5, b = 0.75, a
negative idf floored at 0.25 × the mean idf), but over per-term postings held in NumPy arrays
(compressed sparse rows: for each term the documents holding it and the term's frequency in each),
so a question costs a few vectorised operations per question word instead of a Python loop over
every candidate document. The arrays are built once per index version and kept in the process.

Field boosts: a document is the bag of its words with the title and keywords counted three times and
the summary twice (the usual way to weigh fields in a single-field BM25). The index is built once per
process and rebuilt when the version counter (bumped on every article or library change, see
:mod:`fengqiao.knowledge.signals`) moves; the counter lives in Django's cache, shared by processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fengqiao.knowledge.textproc import tokenize

if TYPE_CHECKING:
    import numpy as np

BOOSTS = {"title": 3, "keywords": 3, "summary": 2, "body": 1, "extra": 1}
VERSION_KEY = "knowledge:index-version"
CHECK_SECONDS = 2.0

# Plain words people use → the words the articles use (query expansion; each added word counts half).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "工资": ("欠薪", "劳动报酬"),
    "工钱": ("工资", "欠薪"),
    "薪水": ("工资",),
    "欠薪": ("工资", "劳动报酬"),
    "不发": ("拖欠",),
    "拖欠": ("欠薪",),
    "包工头": ("欠薪", "农民工"),
    "老板": ("用人单位",),
    "公司": ("用人单位",),
    "开除": ("解除", "辞退"),
    "炒鱿鱼": ("辞退", "解除"),
    "辞退": ("解除", "经济补偿"),
    "赔偿金": ("经济补偿",),
    "老公": ("丈夫", "配偶"),
    "老婆": ("妻子", "配偶"),
    "媳妇": ("妻子", "配偶"),
    "打我": ("家庭暴力", "殴打"),
    "家暴": ("家庭暴力",),
    "孩子": ("子女", "抚养"),
    "小孩": ("子女", "抚养"),
    "养老": ("赡养",),
    "爸妈": ("父母", "赡养"),
    "老人": ("父母", "赡养"),
    "借钱": ("借款", "民间借贷"),
    "欠钱": ("借款", "债务"),
    "借条": ("借款", "民间借贷"),
    "不还": ("还款", "债务"),
    "撞": ("交通事故",),
    "车祸": ("交通事故",),
    "刮蹭": ("交通事故",),
    "保险公司": ("保险", "理赔"),
    "吵": ("噪音",),
    "吵闹": ("噪音",),
    "广场舞": ("噪音",),
    "漏水": ("渗漏",),
    "楼上": ("相邻", "渗漏"),
    "物业公司": ("物业",),
    "电梯": ("公共设施", "维修"),
    "网购": ("消费", "网络购物"),
    "退款": ("退货", "消费"),
    "办卡": ("预付卡",),
    "健身房": ("预付卡",),
    "狗": ("动物", "饲养"),
    "咬": ("动物致害",),
    "医院": ("医疗",),
    "手术": ("医疗损害",),
    "房东": ("租赁", "出租人"),
    "租房": ("租赁",),
    "押金": ("租赁",),
    "盖房": ("建房",),
    "地基": ("宅基地",),
    "界址": ("宅基地",),
    "拆迁": ("征收", "安置"),
    "征地": ("征收", "补偿"),
    "庄稼": ("青苗",),
    "果树": ("青苗", "地上附着物"),
    "臭": ("污染", "异味"),
    "猪场": ("养殖污染",),
    "排污": ("污染",),
    "律师": ("法律援助",),
    "没钱": ("法律援助", "经济困难"),
    "打官司": ("起诉", "诉讼"),
    "告": ("起诉",),
    "受伤": ("工伤", "人身损害"),
    "摔伤": ("人身损害",),
    "社保": ("社会保险",),
    "五险": ("社会保险",),
    "医保": ("医疗保险",),
    "低保": ("最低生活保障",),
    "上学": ("入学",),
    "公交": ("公共交通",),
    "村干部": ("村务",),
    "补贴": ("惠民资金",),
}
SYNONYM_WEIGHT = 0.5
K1, B, EPSILON = 1.5, 0.75, 0.25


@dataclass
class Doc:
    key: str  # "a:<slug>" or "c:<id>"
    pk: int
    slug: str
    title: str
    kind: str
    summary: str
    public: bool
    categories: tuple[str, ...]
    domains: tuple[str, ...]
    fields: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Hit:
    doc: Doc
    score: float
    matched: list[str]
    coverage: float  # share of the query's weight the document matches


@dataclass
class Postings:
    """Per-term postings in compressed sparse rows: the documents holding term ``t`` are
    ``docs[indptr[t]:indptr[t + 1]]`` (ascending) and its frequencies the same slice of ``tf``."""

    vocab: dict[str, int]
    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    idf: np.ndarray  # per term
    norm: np.ndarray  # per document: k1 · (1 − b + b · length / mean length)
    public: np.ndarray  # per document


@dataclass
class Index:
    version: str
    docs: list[Doc]
    postings: Postings | None
    idf_of: dict[str, float] = field(default_factory=dict)
    built_ms: float = 0.0

    def idf(self, token: str) -> float:
        """The token's idf; a word no document holds weighs as much as the rarest word (it is part of
        the question the index cannot answer)."""
        if self.postings is None:
            return 0.0
        if token not in self.idf_of:
            return math.log((len(self.docs) + 1) / 0.5)
        return self.idf_of[token]

    def scores(self, weights: dict[str, float], public_only: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(candidate document numbers ascending, their summed weighted BM25 scores, the known words)."""
        import numpy as np  # loaded by the first search, not by every web worker

        p = self.postings
        assert p is not None
        known = [w for w in weights if w in p.vocab]
        total = np.zeros(len(self.docs))
        hit = np.zeros(len(self.docs), dtype=bool)
        for w in known:
            t = p.vocab[w]
            lo, hi = p.indptr[t], p.indptr[t + 1]
            d = p.docs[lo:hi]
            f = p.tf[lo:hi]
            # The same arithmetic, in the same order, as BM25Okapi.get_batch_scores of one word.
            total[d] += weights[w] * (p.idf[t] * (f * (K1 + 1) / (f + p.norm[d])))
            hit[d] = True
        if public_only:
            hit &= p.public
        ids = np.flatnonzero(hit)
        return ids, total[ids], known

    def search(self, query: str | list[str], k: int = 5, *, public_only: bool = True) -> list[Hit]:
        import numpy as np  # loaded by the first search, not by every web worker

        words = tokenize(query) if isinstance(query, str) else query
        if self.postings is None or not words:
            return []
        weights: dict[str, float] = {}
        for w in words:
            weights[w] = 1.0
        for w in words:
            for syn in SYNONYMS.get(w, ()):
                weights.setdefault(syn, SYNONYM_WEIGHT)
        ids, total, known = self.scores(weights, public_only)
        if not len(ids):
            return []
        # Coverage: idf-weighted share of the question's words the document holds (a single character
        # is ambiguous and weighs half).
        content = list(dict.fromkeys(words))

        def weigh(w: str) -> float:
            return max(self.idf(w), 0.0) * (1.0 if len(w) > 1 else 0.5)

        query_weight = sum(weigh(w) for w in content) or 1.0
        # Best first; equal scores keep the document order (a stable sort of the ascending numbers).
        order = np.argsort(-total, kind="stable")[:k]
        hits = []
        for j in order:
            doc = self.docs[int(ids[j])]
            bag = set().union(*doc.fields.values()) if doc.fields else set()
            matched = [w for w in known if w in bag]
            direct = [w for w in content if w in bag]
            coverage = sum(weigh(w) for w in direct) / query_weight
            matched.sort(key=lambda w: (-(weights[w] * self.idf(w)), w))
            hits.append(Hit(doc, round(float(total[j]), 3), matched[:6], round(min(coverage, 1.0), 3)))
        return hits


def document_tokens(fields: dict[str, str]) -> tuple[list[str], dict[str, set[str]]]:
    bag: list[str] = []
    sets: dict[str, set[str]] = {}
    for name, text in fields.items():
        words = tokenize(text)
        sets[name] = set(words)
        bag.extend(words * BOOSTS.get(name, 1))
    return bag, sets


def postings(corpus: list[list[str]], public: list[bool]) -> tuple[Postings, dict[str, float]]:
    """The postings arrays and the idf of every word (Okapi idf with rank-bm25's floor)."""
    import numpy as np  # loaded by the first search, not by every web worker

    n = len(corpus)
    vocab: dict[str, int] = {}
    df: list[int] = []
    term_of: list[int] = []
    doc_of: list[int] = []
    freq: list[int] = []
    lengths = np.array([len(bag) for bag in corpus])
    for i, bag in enumerate(corpus):
        counts: dict[str, int] = {}
        for w in bag:
            counts[w] = counts.get(w, 0) + 1
        for w, c in counts.items():
            t = vocab.get(w)
            if t is None:
                t = vocab[w] = len(df)
                df.append(0)
            df[t] += 1
            term_of.append(t)
            doc_of.append(i)
            freq.append(c)
    idf_list = [math.log(n - f + 0.5) - math.log(f + 0.5) for f in df]
    mean = sum(idf_list) / len(idf_list) if idf_list else 0.0
    floor = EPSILON * mean
    idf_list = [v if v >= 0 else floor for v in idf_list]
    terms = np.array(term_of, dtype=np.int64)
    order = np.argsort(terms, kind="stable")  # by term, documents ascending within a term
    indptr = np.zeros(len(df) + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=len(df)), out=indptr[1:])
    avgdl = lengths.sum() / n if n else 1.0
    p = Postings(
        vocab=vocab,
        indptr=indptr,
        docs=np.array(doc_of, dtype=np.int64)[order],
        tf=np.array(freq, dtype=np.int64)[order],
        idf=np.array(idf_list, dtype=np.float64),
        norm=K1 * (1 - B + B * lengths / avgdl),
        public=np.array(public, dtype=bool),
    )
    return p, dict(zip(vocab, idf_list, strict=True))


def build(rows: Iterable[tuple[Doc, dict[str, str]]], version: str = "") -> Index:
    t0 = time.perf_counter()
    docs: list[Doc] = []
    corpus: list[list[str]] = []
    for doc, fields in rows:
        bag, sets = document_tokens(fields)
        doc.fields = sets
        docs.append(doc)
        corpus.append(bag or ["∅"])
    if not corpus:
        return Index(version, docs, None, {}, round((time.perf_counter() - t0) * 1000, 1))
    p, idf_of = postings(corpus, [d.public for d in docs])
    return Index(version, docs, p, idf_of, round((time.perf_counter() - t0) * 1000, 1))


# --------------------------------------------------------------------------------------------- kept indexes

_lock = threading.Lock()
_kept: dict[str, Any] = {"articles": None, "cases": None, "checked": 0.0, "version": None}


def current_version() -> str:
    from django.core.cache import cache

    value = cache.get(VERSION_KEY)
    if value is None:
        value = f"{time.time_ns()}"
        cache.add(VERSION_KEY, value, None)
        value = cache.get(VERSION_KEY) or value
    return str(value)


def bump() -> None:
    from django.core.cache import cache

    cache.set(VERSION_KEY, f"{time.time_ns()}", None)
    _kept["checked"] = 0.0


def _article_rows() -> list[tuple[Doc, dict[str, str]]]:
    from fengqiao.knowledge.choices import Audience
    from fengqiao.knowledge.models import ArticleVersion, articles_for_index

    # The types in the order of the latest version (the first is the article's main type).
    ordered: dict[int, list[str]] = {}
    for article_id, codes in (
        ArticleVersion.objects.filter(article__state="published")
        .order_by("article_id", "-number")
        .values_list("article_id", "category_codes")
    ):
        ordered.setdefault(article_id, list(codes or []))
    rows = []
    for a in articles_for_index():
        linked = {c.code for c in a.categories.all()}
        cats = tuple([c for c in ordered.get(a.pk, []) if c in linked] + sorted(linked - set(ordered.get(a.pk, []))))
        doms = tuple(d.code for d in a.domains.all())
        cat_names = " ".join(c.name for c in a.categories.all())
        doc = Doc(f"a:{a.slug}", a.pk, a.slug, a.title, a.kind, a.summary, a.audience == Audience.PUBLIC, cats, doms)
        fields = {
            "title": a.title,
            "keywords": f"{a.keywords} {cat_names}",
            "summary": a.summary,
            "body": a.body,
            "extra": f"{a.office} {a.materials} {a.steps}",
        }
        rows.append((doc, fields))
    return rows


def _case_rows() -> list[tuple[Doc, dict[str, str]]]:
    from fengqiao.knowledge.models import ExemplaryCase

    rows = []
    for c in ExemplaryCase.objects.approved().select_related("category"):
        code = c.category.code if c.category else ""
        doc = Doc(f"c:{c.pk}", c.pk, "", c.title, "case", c.takeaway, True, (code,) if code else (), ())
        name = c.category.name if c.category else ""
        rows.append((doc, {"title": c.title, "keywords": f"{c.keywords} {name}", "body": f"{c.facts} {c.resolution}"}))
    return rows


def indexes() -> tuple[Index, Index]:
    """(articles, library) indexes of this process, rebuilt when the version counter moved."""
    now = time.monotonic()
    if _kept["articles"] is not None and now - _kept["checked"] < CHECK_SECONDS:
        return _kept["articles"], _kept["cases"]
    version = current_version()
    if _kept["articles"] is not None and _kept["version"] == version:
        _kept["checked"] = now
        return _kept["articles"], _kept["cases"]
    with _lock:
        if _kept["articles"] is None or _kept["version"] != version:
            _kept["articles"] = build(_article_rows(), version)
            _kept["cases"] = build(_case_rows(), version)
            _kept["version"] = version
        _kept["checked"] = time.monotonic()
    return _kept["articles"], _kept["cases"]


def forget() -> None:
    _kept.update(articles=None, cases=None, checked=0.0, version=None)
