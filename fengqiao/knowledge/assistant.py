"""The consultation assistant: best articles and similar public cases (BM25, explained), the likely
dispute type (the triage classifier, or the types of the best articles when it is missing or unsure),
the likely service domain, and the next step. Runs in-process; no network call."""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.knowledge import nextstep, redact, search

log = logging.getLogger(__name__)

MAX_QUESTION = 500
MIN_SCORE = 3.0  # below this the best article is not an answer
MIN_COVERAGE = 0.3  # share of the question's (idf-weighted) words the best article must match
MODEL_MIN_P = 0.35


@dataclass
class Guess:
    code: str
    name: str
    p: float
    source: str  # "model" | "articles"

    @property
    def source_label(self) -> str:
        return _("分类模型") if self.source == "model" else _("相关文章")


@dataclass
class Answer:
    question: str
    articles: list[search.Hit] = field(default_factory=list)
    cases: list[search.Hit] = field(default_factory=list)
    category: Guess | None = None
    domain: Guess | None = None
    advice: list[nextstep.Advice] = field(default_factory=list)
    answered: bool = False

    def explain(self, hit: search.Hit) -> str:
        return _("因为匹配了：%(words)s") % {"words": "、".join(hit.matched)} if hit.matched else ""


def _vote(hits: list[search.Hit], attr: str) -> tuple[str, float] | None:
    """The code most of the strong hits (score at least 60% of the best) carry; none when the best
    article carries none (a service guide without a dispute type says nothing about the type)."""
    if not hits or not getattr(hits[0].doc, attr):
        return None
    tally: dict[str, float] = defaultdict(float)
    for h in hits[:3]:
        if h.score < 0.6 * hits[0].score:
            break
        codes = getattr(h.doc, attr)
        if not codes:
            continue
        for i, c in enumerate(codes):  # an article's first type is its main one
            tally[c] += h.score * (1.0 if i == 0 else 0.5)
    if not tally:
        return None
    # Ties (an article linked to two types) are broken by the weaker hits further down.
    behind: dict[str, float] = defaultdict(float)
    for h in hits[:5]:
        for c in getattr(h.doc, attr):
            behind[c] += h.score
    total = sum(tally.values()) or 1.0
    code, value = max(tally.items(), key=lambda kv: (round(kv[1], 6), behind[kv[0]]))
    return code, value / total


def _model(task: str, text: str) -> tuple[str, str, float] | None:
    from fengqiao.triage.ml import registry

    try:
        pred = registry.predict(task, text)
    except Exception:  # a broken model must not break the help page
        log.exception("knowledge: classifier %s failed", task)
        return None
    if pred is None or not pred.top:
        return None
    return pred.top[0]


def _names(task: str) -> dict[str, str]:
    from fengqiao.triage.ml import registry

    return registry.label_names(task)[0]


def guess(task: str, text: str, hits: list[search.Hit]) -> Guess | None:
    got = _model(task, text)
    if got is not None and got[2] >= MODEL_MIN_P:
        return Guess(got[0], got[1], round(got[2], 2), "model")
    voted = _vote(hits, "categories" if task == "type" else "domains")
    if voted is not None:
        names = _names(task)
        code = voted[0]
        if task == "type" and len(code) == 2:
            return None  # a level-1 link only: not a type the form can take
        return Guess(code, names.get(code, code), round(voted[1], 2), "articles")
    if got is not None:
        return Guess(got[0], got[1], round(got[2], 2), "model")
    return None


def answer(question: str, *, staff: bool = False, log_unanswered: bool = True) -> Answer:
    text = (question or "").strip()[:MAX_QUESTION]
    out = Answer(question=text)
    if not text:
        return out
    articles, library = search.indexes()
    words = search.tokenize(redact.scrub(text))
    hits = articles.search(words, k=5, public_only=not staff)
    # Weak hits (a single common word) are left out: a third of the best score at least.
    floor = max(MIN_SCORE * 0.5, hits[0].score / 3) if hits else 0.0
    out.articles = [h for h in hits if h.score >= floor]
    best = hits[0] if hits else None
    out.answered = best is not None and best.score >= MIN_SCORE and best.coverage >= MIN_COVERAGE
    out.category = guess("type", text, out.articles)
    out.domain = guess("domain", text, out.articles)
    cases = library.search(words, k=6)
    if out.category is not None:
        cases.sort(key=lambda h: (-(out.category is not None and out.category.code in h.doc.categories), -h.score))
    case_floor = max(MIN_SCORE * 0.5, max((h.score for h in cases), default=0.0) / 3)
    out.cases = [h for h in cases if h.score >= case_floor][:3]
    out.advice = nextstep.advise(text, out.category.code if out.category else "")
    if not out.answered and log_unanswered:
        later(record_unanswered, redact.scrub(text))
    return out


_executor: ThreadPoolExecutor | None = None


def later(fn: Any, *args: Any) -> None:
    """Run ``fn`` after the answer, in this process (never through a broker: the question stays in
    memory), in a one-thread pool; synchronously when ``FENGQIAO_INPROCESS_TASKS=sync`` (tests)."""
    global _executor
    from django.conf import settings

    if settings.FENGQIAO_INPROCESS_TASKS == "sync":
        fn(*args)
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fengqiao-knowledge")
    _executor.submit(_run, fn, args)


def _run(fn: Any, args: tuple[Any, ...]) -> None:
    from django.db import close_old_connections, connections

    close_old_connections()
    try:
        fn(*args)
    except Exception:
        log.exception("knowledge: background step failed")
    finally:
        connections.close_all()


def record_unanswered(text: str) -> None:
    """Count the question's anonymised words (never the text itself)."""
    from fengqiao.knowledge.models import UnansweredQuestion

    words = redact.anonymous_words(text)
    if not words:
        return
    sig = redact.signature(words)
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = UnansweredQuestion.objects.filter(signature=sig).update(count=F("count") + 1, last_at=now)
            if not updated:
                UnansweredQuestion.objects.create(signature=sig, words=" ".join(words)[:400], first_at=now, last_at=now)
    except IntegrityError:  # two first askers at once
        UnansweredQuestion.objects.filter(signature=sig).update(count=F("count") + 1, last_at=now)


def as_data(ans: Answer) -> dict[str, Any]:
    """The answer as plain data (API)."""
    return {
        "answered": ans.answered,
        "articles": [
            {
                "slug": h.doc.slug,
                "title": h.doc.title,
                "kind": h.doc.kind,
                "summary": h.doc.summary,
                "score": h.score,
                "matched": h.matched,
                "explanation": ans.explain(h),
            }
            for h in ans.articles
        ],
        "cases": [
            {
                "id": h.doc.pk,
                "title": h.doc.title,
                "score": h.score,
                "matched": h.matched,
                "explanation": ans.explain(h),
            }
            for h in ans.cases
        ],
        "category": ans.category
        and {"code": ans.category.code, "name": ans.category.name, "p": ans.category.p, "source": ans.category.source},
        "domain": ans.domain
        and {"code": ans.domain.code, "name": ans.domain.name, "p": ans.domain.p, "source": ans.domain.source},
        "next_steps": [{"step": a.step, "label": a.label, "reason": a.reason, "where": a.where} for a in ans.advice],
    }
