"""Knowledge base and consultation assistant (issue 18).

    .venv/bin/python bench/bench_knowledge.py [--articles 10000] [--n 1000] [--messages 4174] [--db sqlite]

1. Retrieval quality: top-1/3/5 hit rate of the project's own articles on the real-style questions
   the project wrote (tests/knowledge/data/questions.tsv; target top-3 >= 0.85).
2. The assistant's suggested service domain on the shared citizen messages
   (/work/shared/data/triage/citizen_messages_train.csv, labels only used for scoring, nothing
   trained on them): the domain voted by the best articles, the triage domain model as shipped, and
   the assistant's combination (model when confident, else the articles), against the label.
3. Answer latency over ``--articles`` articles: the real articles plus synthetic variants (their
   sentences recombined, numbered titles) indexed with the same code; ``assistant.answer`` end to end
   (BM25, explanations, type and domain guesses, next step, similar cases) for the questions in turn.
   Target p95 < 100 ms at 10,000 articles.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path
from typing import Any

from common import ROOT, print_table, setup_django, summary, write_result

MESSAGES = Path("/work/shared/data/triage/citizen_messages_train.csv")


def synthetic_rows(n: int, seed: int = 18) -> list[tuple[Any, dict[str, str]]]:
    from fengqiao.knowledge import search
    from fengqiao.knowledge.seed import ARTICLES_FILE, read

    rng = random.Random(seed)
    base = read(ARTICLES_FILE)
    sentences = [s for a in base for s in a["body"].replace("\n", "").split("。") if len(s) > 8]
    rows = []
    for i in range(n):
        a = base[i % len(base)]
        own = [s for s in a["body"].replace("\n", "").split("。") if s]
        body = "。".join(rng.sample(own, len(own)) + rng.sample(sentences, 3)) + "。"
        kws = a.get("keywords", "").split()
        doc = search.Doc(
            f"a:s{i}", 100000 + i, f"s{i}-{a['slug']}", f"{a['title']}（{i}）", a.get("kind", "faq"),
            a.get("summary", ""), True, tuple(a.get("types") or ()), tuple(a.get("domains") or ()),
        )  # fmt: skip
        fields = {
            "title": doc.title,
            "keywords": " ".join(rng.sample(kws, max(1, len(kws) - 1))) if kws else "",
            "summary": a.get("summary", ""),
            "body": body,
        }
        rows.append((doc, fields))
    return rows


def quality() -> dict[str, Any]:
    from fengqiao.knowledge import evaluate, search

    idx, _cases = search.indexes()
    qs = evaluate.read_questions(ROOT / "tests" / "knowledge" / "data" / "questions.tsv")
    out: dict[str, Any] = {"questions": len(qs), "articles": len(idx.docs)}
    for k in (1, 3, 5):
        rate, misses = evaluate.hit_rate(idx, qs, k)
        out[f"top{k}"] = round(rate, 3)
        if k == 3:
            out["misses_top3"] = [(m.text, m.expected[0], got) for m, got in misses]
    return out


def domains(limit: int) -> dict[str, Any]:
    from fengqiao.knowledge import assistant, redact, search
    from fengqiao.triage.ml import registry

    _names, by_name = registry.label_names("domain")
    rows = list(csv.DictReader(MESSAGES.open(encoding="utf-8")))[:limit]
    idx, _ = search.indexes()
    tallies = {"articles": [0, 0], "model": [0, 0], "assistant": [0, 0]}
    t0 = time.perf_counter()
    for r in rows:
        text = f"{r['subject']} {r['text']}"[: assistant.MAX_QUESTION]
        truth = by_name.get(r["label"], r["label"])
        hits = idx.search(search.tokenize(redact.scrub(text)), k=5)
        voted = assistant._vote(hits, "domains")
        model = assistant._model("domain", text)
        combined = assistant.guess("domain", text, hits)
        for key, code in (
            ("articles", voted[0] if voted else None),
            ("model", model[0] if model else None),
            ("assistant", combined.code if combined else None),
        ):
            if code is not None:
                tallies[key][1] += 1
                tallies[key][0] += code == truth
    n = len(rows)
    out: dict[str, Any] = {"messages": n, "seconds": round(time.perf_counter() - t0, 1)}
    for key, (right, suggested) in tallies.items():
        out[key] = {
            "accuracy_over_all": round(right / n, 3) if n else 0.0,
            "suggested_share": round(suggested / n, 3) if n else 0.0,
            "accuracy_when_suggested": round(right / suggested, 3) if suggested else 0.0,
        }
    return out


def latency(n_articles: int, n: int) -> dict[str, Any]:
    from fengqiao.knowledge import assistant, evaluate, search
    from fengqiao.knowledge.search import _article_rows, _kept

    real = _article_rows()
    t0 = time.perf_counter()
    idx = search.build(real + synthetic_rows(max(0, n_articles - len(real))), "bench")
    build_s = time.perf_counter() - t0
    _kept.update(articles=idx, checked=time.monotonic() + 10**9)
    qs = [q.text for q in evaluate.read_questions(ROOT / "tests" / "knowledge" / "data" / "questions.tsv")]
    for q in qs[:10]:
        assistant.answer(q, log_unanswered=False)
    times = []
    search_times = []
    for i in range(n):
        q = qs[i % len(qs)]
        t = time.perf_counter()
        assistant.answer(q, log_unanswered=False)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        idx.search(q, k=5)
        search_times.append((time.perf_counter() - t) * 1000)
    return {
        "articles": len(idx.docs),
        "build_s": round(build_s, 1),
        "answer": summary(times),
        "bm25_search": summary(search_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=4174)
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    setup_django(args.db)
    from django.core.management import call_command

    from fengqiao.knowledge import reference
    from fengqiao.knowledge.seed import load_articles, load_cases

    call_command("triage-setup", verbosity=0)
    reference.ensure()
    load_articles()
    load_cases()
    result: dict[str, Any] = {"quality": quality()}
    print(
        f"quality: top1 {result['quality']['top1']} top3 {result['quality']['top3']} top5 {result['quality']['top5']}",
        flush=True,
    )
    if MESSAGES.exists() and args.messages:
        result["domains"] = domains(args.messages)
        print(f"domains: {result['domains']}", flush=True)
    result["latency"] = latency(args.articles, args.n)
    lat = result["latency"]
    rows = [
        {"measure": "assistant.answer", "articles": lat["articles"], **lat["answer"]},
        {"measure": "BM25 search only", "articles": lat["articles"], **lat["bm25_search"]},
    ]
    print_table(rows, ["measure", "articles", "n", "p50_ms", "p95_ms", "p99_ms"])
    print(f"index build: {lat['build_s']} s", flush=True)
    write_result(
        "knowledge", rows, {k: v for k, v in result.items() if k != "latency"} | {"index_build_s": lat["build_s"]}
    )


if __name__ == "__main__":
    sys.exit(main())
