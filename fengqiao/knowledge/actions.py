"""Every change to the knowledge base goes through here: inside one transaction, after the
permission check, with one :class:`KnowledgeEvent` and one audit row (fengqiao.core.audit).

Articles: every save writes a new :class:`ArticleVersion`; states draft → review → published →
withdrawn (and back to published). Library entries: draft → approved → withdrawn. Legal aid
applications are registered as cases through the case action layer (``register_case``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionError, ActionForbidden, ActionInvalid, Actor, InvalidTransition
from fengqiao.cases.models import Category, Domain
from fengqiao.core import audit
from fengqiao.knowledge import policy
from fengqiao.knowledge.choices import ArticleKind, ArticleState, Audience, ExemplaryState
from fengqiao.knowledge.models import Article, ArticleVersion, ExemplaryCase, KnowledgeEvent

__all__ = ["ActionError", "ActionForbidden", "ActionInvalid", "InvalidTransition"]

ARTICLE_FIELDS = ("title", "kind", "summary", "body", "keywords", "office", "materials", "fees", "steps", "audience")
TEXT_LIMITS = {
    "title": 100,
    "summary": 300,
    "body": 20000,
    "keywords": 300,
    "office": 200,
    "materials": 3000,
    "fees": 300,
    "steps": 3000,
}

RESERVED_SLUGS = frozenset({"open-case", "legal-aid", "cases", "topics", "new", "ask", "unanswered"})

# action → states it may start from → state it leads to
ARTICLE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({ArticleState.DRAFT, ArticleState.WITHDRAWN}), ArticleState.REVIEW),
    "return": (frozenset({ArticleState.REVIEW}), ArticleState.DRAFT),
    "publish": (frozenset({ArticleState.DRAFT, ArticleState.REVIEW, ArticleState.WITHDRAWN}), ArticleState.PUBLISHED),
    "withdraw": (frozenset({ArticleState.PUBLISHED, ArticleState.REVIEW}), ArticleState.WITHDRAWN),
}


def _check(actor: Actor) -> None:
    if actor.kind == "system":
        return
    if actor.kind != "staff" or not policy.can_edit(actor.user):
        raise ActionForbidden(_("您没有编辑知识库的权限（限县级受理员、承办人和系统管理员）。"))


def _audit(code: str, actor: Actor, obj: Any, detail: dict[str, Any]) -> None:
    role, unit_id = policy.editor_grant(actor.user) if actor.user is not None else ("system", None)
    audit.record(
        f"knowledge.{code}", user=actor.user, username=actor.name, role=role, unit_id=unit_id, obj=obj, detail=detail
    )


def _event(
    code: str, actor: Actor, *, article: Article | None = None, exemplary: ExemplaryCase | None = None, **kw: Any
) -> KnowledgeEvent:
    return KnowledgeEvent.objects.create(
        code=code, article=article, exemplary=exemplary, actor=actor.user, actor_name=actor.name, **kw
    )


def _clean_article(data: dict[str, Any], article: Article | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in ARTICLE_FIELDS:
        value = data.get(name, getattr(article, name) if article is not None else "")
        value = ("" if value is None else str(value)).strip()
        if name in TEXT_LIMITS and len(value) > TEXT_LIMITS[name]:
            errors.setdefault(name, []).append(_("不能超过%(n)d个字。") % {"n": TEXT_LIMITS[name]})
        values[name] = value
    if not values["title"]:
        errors.setdefault("title", []).append(_("请填写标题。"))
    if len(values["body"]) < 20:
        errors.setdefault("body", []).append(_("正文至少20个字。"))
    if values["kind"] not in ArticleKind.values:
        errors.setdefault("kind", []).append(_("请选择类别。"))
    if values["audience"] not in Audience.values:
        errors.setdefault("audience", []).append(_("请选择公开范围。"))
    if values["kind"] == ArticleKind.GUIDE and not values["office"]:
        errors.setdefault("office", []).append(_("服务指南须写明办理部门。"))
    slug = (data.get("slug") or (article.slug if article else "") or "").strip()
    if article is None:
        slug = slug or slugify(values["title"]) or f"a-{secrets.token_hex(4)}"
        if not slug:
            errors.setdefault("slug", []).append(_("请填写网址名（字母、数字和连字符）。"))
        elif slug in RESERVED_SLUGS:
            errors.setdefault("slug", []).append(_("这个网址名是系统保留的，请换一个。"))
        elif slugify(slug) != slug:
            errors.setdefault("slug", []).append(_("网址名只能用小写字母、数字和连字符。"))
        elif Article.objects.filter(slug=slug).exists():
            errors.setdefault("slug", []).append(_("这个网址名已被使用。"))
    values["slug"] = slug
    cat_codes = [str(c) for c in data.get("categories", []) or []]
    dom_codes = [str(c) for c in data.get("domains", []) or []]
    cats = list(Category.objects.filter(code__in=cat_codes))
    doms = list(Domain.objects.filter(code__in=dom_codes))
    if len(cats) != len(set(cat_codes)):
        errors.setdefault("categories", []).append(_("纠纷类型有误。"))
    if len(doms) != len(set(dom_codes)):
        errors.setdefault("domains", []).append(_("业务领域有误。"))
    review_due = data.get("review_due", article.review_due if article else None)
    if isinstance(review_due, str):
        try:
            review_due = dt.date.fromisoformat(review_due) if review_due else None
        except ValueError:
            errors.setdefault("review_due", []).append(_("日期格式应为 2026-12-31。"))
            review_due = None
    values["review_due"] = review_due
    if errors:
        raise ActionInvalid(_("输入有误，请检查后重试。"), errors=errors)
    # Keep the order the editor gave: an article's first type is its main one (the assistant's vote).
    cats.sort(key=lambda c: cat_codes.index(c.code))
    values["categories"], values["domains"] = cats, doms
    return values


def save_article(actor: Actor, article: Article | None, data: dict[str, Any], *, note: str = "") -> Article:
    """Create or edit an article; every save is a new version. A published article stays published
    with the new text (county editors answer for it; each version is kept and can be restored)."""
    _check(actor)
    values = _clean_article(data, article)
    with transaction.atomic():
        now = timezone.now()
        created = article is None
        if article is None:
            article = Article(slug=values["slug"], created_at=now)
        else:
            article = Article.objects.select_for_update().get(pk=article.pk)
            expected = data.get("version")
            if expected not in (None, "") and int(expected) != article.version:
                raise ActionError(_("这篇文章已被他人修改，请刷新后再改。"))
        for name in ARTICLE_FIELDS:
            setattr(article, name, values[name])
        article.review_due = values["review_due"]
        article.version += 1
        article.updated_at = now
        article.updated_by = actor.user
        article.save()
        article.categories.set(values["categories"])
        article.domains.set(values["domains"])
        ArticleVersion.objects.create(
            article=article,
            number=article.version,
            **{name: values[name] for name in ARTICLE_FIELDS},
            category_codes=[c.code for c in values["categories"]],
            domain_codes=sorted(d.code for d in values["domains"]),
            review_due=values["review_due"],
            note=note[:200],
            saved_at=now,
            saved_by=actor.user,
            saved_by_name=actor.name,
        )
        _event(
            "article.create" if created else "article.save",
            actor,
            article=article,
            version=article.version,
            to_state=article.state,
            reason=note[:500],
        )
        _audit("article.save", actor, article, {"version": article.version, "created": created, "title": article.title})
    return article


def transition(actor: Actor, article: Article, name: str, *, reason: str = "") -> Article:
    _check(actor)
    if name not in ARTICLE_TRANSITIONS:
        raise ActionInvalid(_("未知操作。"))
    sources, target = ARTICLE_TRANSITIONS[name]
    if name == "withdraw" and not reason.strip():
        raise ActionInvalid(_("请写明撤下的原因。"), errors={"reason": [_("请写明撤下的原因。")]})
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.state not in sources:
            raise InvalidTransition(
                _("“%(state)s”状态的文章不能执行此操作。") % {"state": ArticleState(article.state).label}
            )
        if name == "publish" and actor.user is not None and article.updated_by_id == actor.user.pk:
            # Four eyes: the public text is answered for by a second editor, never by its own author.
            raise ActionForbidden(_("不能发布自己撰写或最后修改的文章，请由另一位编辑审核后发布。"))
        before = article.state
        article.state = target
        if name == "publish":
            article.published_at = timezone.now()
        article.save(update_fields=["state", "published_at"])
        _event(
            f"article.{name}",
            actor,
            article=article,
            version=article.version,
            from_state=before,
            to_state=target,
            reason=reason[:500],
        )
        _audit(f"article.{name}", actor, article, {"version": article.version, "from": before, "to": target})
    return article


def restore_version(actor: Actor, article: Article, number: int) -> Article:
    """Save an earlier version's text again (as a new version)."""
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise ActionInvalid(_("没有这个版本。"))
    data = {name: getattr(old, name) for name in ARTICLE_FIELDS}
    data.update(categories=old.category_codes, domains=old.domain_codes, review_due=old.review_due)
    return save_article(actor, article, data, note=_("恢复为第%(n)d版") % {"n": number})


# --------------------------------------------------------------------------------------------- library

EXEMPLARY_LIMITS = {"title": 100, "facts": 5000, "resolution": 5000, "takeaway": 500, "keywords": 300}


def save_exemplary(actor: Actor, entry: ExemplaryCase | None, data: dict[str, Any]) -> ExemplaryCase:
    """Write or edit a library entry. Editing an approved entry sends it back for approval."""
    _check(actor)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for name, limit in EXEMPLARY_LIMITS.items():
        value = str(data.get(name, getattr(entry, name) if entry else "") or "").strip()
        if len(value) > limit:
            errors.setdefault(name, []).append(_("不能超过%(n)d个字。") % {"n": limit})
        values[name] = value
    for name in ("title", "facts", "resolution"):
        if not values[name]:
            errors.setdefault(name, []).append(_("请填写此项。"))
    from fengqiao.knowledge.redact import scrub

    for name in ("title", "facts", "resolution", "takeaway"):
        if scrub(values[name]) != values[name] and any(ch.isdigit() for ch in values[name]):
            errors.setdefault(name, []).append(_("请去掉电话、身份证号、门牌号等个人信息（可写“张某”“某村”）。"))
    code = data.get("category", entry.category.code if entry and entry.category else "")
    category = Category.objects.filter(code=code, parent__isnull=False).first() if code else None
    if code and category is None:
        errors.setdefault("category", []).append(_("请选择二级纠纷类型。"))
    if errors:
        raise ActionInvalid(_("输入有误，请检查后重试。"), errors=errors)
    with transaction.atomic():
        created = entry is None
        entry = entry or ExemplaryCase(created_by=actor.user)
        for name, value in values.items():
            setattr(entry, name, value)
        entry.category = category
        if data.get("source_case") is not None:
            entry.source_case = data["source_case"]
        before = entry.state
        if not created and entry.state == ExemplaryState.APPROVED:
            entry.state = ExemplaryState.DRAFT
        entry.save()
        _event(
            "exemplary.create" if created else "exemplary.save",
            actor,
            exemplary=entry,
            from_state=before,
            to_state=entry.state,
        )
        _audit("exemplary.save", actor, entry, {"created": created, "title": entry.title})
    return entry


def approve_exemplary(actor: Actor, entry: ExemplaryCase) -> ExemplaryCase:
    return _exemplary_state(
        actor, entry, "approve", {ExemplaryState.DRAFT, ExemplaryState.WITHDRAWN}, ExemplaryState.APPROVED
    )


def withdraw_exemplary(actor: Actor, entry: ExemplaryCase, reason: str = "") -> ExemplaryCase:
    return _exemplary_state(
        actor, entry, "withdraw", {ExemplaryState.APPROVED, ExemplaryState.DRAFT}, ExemplaryState.WITHDRAWN, reason
    )


def _exemplary_state(
    actor: Actor, entry: ExemplaryCase, name: str, sources: set[str], target: str, reason: str = ""
) -> ExemplaryCase:
    _check(actor)
    with transaction.atomic():
        entry = ExemplaryCase.objects.select_for_update().get(pk=entry.pk)
        if entry.state not in sources:
            raise InvalidTransition(_("当前状态不能执行此操作。"))
        before = entry.state
        entry.state = target
        if target == ExemplaryState.APPROVED:
            entry.approved_at, entry.approved_by = timezone.now(), actor.user
        entry.save()
        _event(f"exemplary.{name}", actor, exemplary=entry, from_state=before, to_state=target, reason=reason[:500])
        _audit(f"exemplary.{name}", actor, entry, {"from": before, "to": target})
    return entry
