"""Loading the project's own articles (data/articles.yaml) and library entries (data/cases.yaml)
through the action layer: each new or changed article is saved as a new version and published."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone

from fengqiao.cases.actions import Actor
from fengqiao.knowledge import actions
from fengqiao.knowledge.choices import ArticleState, ExemplaryState
from fengqiao.knowledge.models import Article, ExemplaryCase

DATA = Path(__file__).parent / "data"
ARTICLES_FILE = DATA / "articles.yaml"
CASES_FILE = DATA / "cases.yaml"
REVIEW_AFTER = dt.timedelta(days=365)


def read(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")) or [])


def article_data(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "slug": item["slug"],
        "title": item["title"],
        "kind": item.get("kind", "faq"),
        "summary": (item.get("summary") or "").strip(),
        "body": (item.get("body") or "").strip(),
        "keywords": item.get("keywords", ""),
        "office": item.get("office", ""),
        "materials": (item.get("materials") or "").strip(),
        "fees": item.get("fees", ""),
        "steps": (item.get("steps") or "").strip(),
        "audience": item.get("audience", "public"),
        "categories": item.get("types", []) or [],
        "domains": item.get("domains", []) or [],
    }


def _same(article: Article, data: dict[str, Any]) -> bool:
    for name in actions.ARTICLE_FIELDS:
        if str(getattr(article, name)).strip() != str(data[name]).strip():
            return False
    cats = sorted(c.code for c in article.categories.all())
    doms = sorted(d.code for d in article.domains.all())
    return cats == sorted(data["categories"]) and doms == sorted(data["domains"])


def load_articles(path: Path = ARTICLES_FILE, actor: Actor | None = None, publish: bool = True) -> dict[str, int]:
    actor = actor or Actor.system("knowledge-load")
    counts = {"created": 0, "updated": 0, "unchanged": 0, "published": 0}
    review = (timezone.localdate() + REVIEW_AFTER).isoformat()
    for item in read(path):
        data = article_data(item)
        article = Article.objects.filter(slug=data["slug"]).first()
        if article is not None and _same(article, data):
            counts["unchanged"] += 1
        else:
            data["review_due"] = review
            article = actions.save_article(actor, article, data, note="从项目知识文件导入")
            counts["created" if article.version == 1 else "updated"] += 1
        if publish and article.state != ArticleState.PUBLISHED:
            actions.transition(actor, article, "publish")
            counts["published"] += 1
    return counts


def load_cases(path: Path = CASES_FILE, actor: Actor | None = None) -> dict[str, int]:
    actor = actor or Actor.system("knowledge-load")
    counts = {"created": 0, "unchanged": 0}
    for item in read(path):
        if ExemplaryCase.objects.filter(title=item["title"]).exists():
            counts["unchanged"] += 1
            continue
        entry = actions.save_exemplary(actor, None, {**item, "category": item.get("type", "")})
        if entry.state != ExemplaryState.APPROVED:
            actions.approve_exemplary(actor, entry)
        counts["created"] += 1
    return counts
