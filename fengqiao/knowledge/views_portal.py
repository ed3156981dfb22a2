"""Citizen pages of the knowledge app, no login: the help page (search box first, ``?q=`` answers),
article pages, the public case library, the hand-over to the submission form and the legal aid
application. The question is never logged here and never put into another URL: the hand-over to
the submission form goes by POST into the session."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.cases import uploads
from fengqiao.cases.actions import ActionError, Actor
from fengqiao.core.middleware import client_ip
from fengqiao.knowledge import assistant, legalaid
from fengqiao.knowledge.choices import ArticleKind
from fengqiao.knowledge.forms import AskForm, LegalAidForm, LibraryFilter, PrefillForm
from fengqiao.knowledge.models import Article, ExemplaryCase
from fengqiao.portal import verify
from fengqiao.portal import views as portal
from fengqiao.portal.models import Submission

ASKS_PER_IP_HOUR = 120
READS_PER_IP_HOUR = 600
TOO_MANY = "查询太频繁，请一小时后再试。如情况紧急请拨打 110；法律咨询可拨打 12348。"


def _limited(request: HttpRequest, scope: str, default: int) -> HttpResponse | None:
    if portal.over_limit(request, scope, default):
        return render(request, "knowledge/portal/limited.html", {"message": TOO_MANY}, status=429)
    return None


def _no_store(response: HttpResponse) -> HttpResponse:
    """An answer page carries the question in its URL: not cached, not sent on as Referer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def help_home(request: HttpRequest) -> HttpResponse:
    form = AskForm(request.GET or None)
    question = ""
    if form.is_valid():
        question = form.cleaned_data["q"].strip()
    ctx: dict[str, Any] = {"form": form, "question": question}
    if question:
        if (limited := _limited(request, "help_ask", ASKS_PER_IP_HOUR)) is not None:
            return limited
        ans = assistant.answer(question)
        ctx.update(
            answer=ans,
            explained=[(h, ans.explain(h)) for h in ans.articles],
            cases=[(h, ans.explain(h)) for h in ans.cases],
        )
        return _no_store(render(request, "knowledge/portal/help.html", ctx))
    guides = Article.objects.public().filter(kind=ArticleKind.GUIDE).order_by("title")[:12]
    faqs = Article.objects.public().exclude(kind=ArticleKind.GUIDE).order_by("-published_at", "title")[:12]
    ctx.update(guides=guides, faqs=faqs, topics=_topics())
    return render(request, "knowledge/portal/help.html", ctx)


def _topics() -> list[dict[str, Any]]:
    """Level-1 dispute types with at least one public article, for browsing."""
    from fengqiao.cases.models import Category

    counts: dict[int, int] = {}
    for parent_id in Article.objects.public().values_list("categories__parent_id", flat=True):
        if parent_id:
            counts[parent_id] = counts.get(parent_id, 0) + 1
    return [
        {"name": c.name, "code": c.code, "n": counts[c.pk]}
        for c in Category.objects.filter(pk__in=counts).order_by("sort")
    ]


def topic(request: HttpRequest, code: str) -> HttpResponse:
    from fengqiao.cases.models import Category

    if (limited := _limited(request, "help_read", READS_PER_IP_HOUR)) is not None:
        return limited
    top = get_object_or_404(Category, code=code, parent__isnull=True)
    articles = Article.objects.public().filter(categories__parent=top).distinct().order_by("kind", "title")
    return render(request, "knowledge/portal/topic.html", {"topic": top, "articles": articles})


def article(request: HttpRequest, slug: str) -> HttpResponse:
    if (limited := _limited(request, "help_read", READS_PER_IP_HOUR)) is not None:
        return limited
    obj = get_object_or_404(Article.objects.public().prefetch_related("categories"), slug=slug)
    codes = [c.code for c in obj.categories.all()]
    related = (
        Article.objects.public().filter(categories__code__in=codes).exclude(pk=obj.pk).distinct()[:5] if codes else []
    )
    cases = ExemplaryCase.objects.approved().filter(category__code__in=codes)[:3] if codes else []
    return render(request, "knowledge/portal/article.html", {"article": obj, "related": related, "cases": cases})


def library(request: HttpRequest) -> HttpResponse:
    if (limited := _limited(request, "help_read", READS_PER_IP_HOUR)) is not None:
        return limited
    form = LibraryFilter(request.GET or None)
    qs = ExemplaryCase.objects.approved().select_related("category")
    q = ""
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if form.cleaned_data["type"]:
            qs = qs.filter(category__code=form.cleaned_data["type"])
    rows: list[tuple[ExemplaryCase, str]]
    if q:
        from fengqiao.knowledge import search

        _articles, index = search.indexes()
        hits = index.search(q, k=50)
        by_pk = {e.pk: e for e in qs.filter(pk__in=[h.doc.pk for h in hits])}
        rows = [(by_pk[h.doc.pk], "、".join(h.matched)) for h in hits if h.doc.pk in by_pk]
    else:
        rows = [(e, "") for e in qs[:50]]
    return _no_store(render(request, "knowledge/portal/library.html", {"form": form, "rows": rows, "q": q}))


def library_entry(request: HttpRequest, pk: int) -> HttpResponse:
    if (limited := _limited(request, "help_read", READS_PER_IP_HOUR)) is not None:
        return limited
    entry = get_object_or_404(ExemplaryCase.objects.approved().select_related("category"), pk=pk)
    return render(request, "knowledge/portal/library_entry.html", {"entry": entry})


@require_POST
def open_case(request: HttpRequest) -> HttpResponse:
    """Hand the question to the submission form through the session (never the URL)."""
    form = PrefillForm(request.POST)
    if form.is_valid():
        request.session[portal.PREFILL_KEY] = {
            "description": form.cleaned_data["q"],
            "category": form.cleaned_data.get("category") or "",
        }
    return redirect("portal:submit")


@never_cache
@require_http_methods(["GET", "POST"])
def legal_aid(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _aid_page(request, LegalAidForm(initial={"token": secrets.token_urlsafe(24)}))
    form = LegalAidForm(request.POST, request.FILES)
    if request.POST.get("website"):
        return render(request, "portal/refused.html", status=400)
    if request.POST.get("action") == "send_code":
        form.is_valid()
        portal.send_code(request, form)
        return _aid_page(request, form, status=200 if "sms_code" not in form.errors else 400)
    token = request.POST.get("token", "")
    done = Submission.objects.filter(token=token).select_related("case").first() if token else None
    if done is not None:
        return redirect("portal:receipt", secret=done.case.tracking_secret)
    if not form.is_valid():
        return _aid_page(request, form, status=400)
    d = form.cleaned_data
    ip_h = verify.ip_hash(client_ip(request))
    since = timezone.now() - dt.timedelta(hours=1)
    if Submission.objects.filter(ip_hash=ip_h, created_at__gte=since).count() >= portal.limit(
        "SUBMIT_PER_IP_HOUR", portal.SUBMIT_PER_IP_HOUR
    ):
        form.add_error(None, "提交太频繁，请稍后再试。法律咨询可拨打 12348。")
        return _aid_page(request, form, status=429)
    try:
        uploads.check(d["income_statement"])
    except uploads.UploadError as exc:
        form.add_error("income_statement", exc.message)
        return _aid_page(request, form, status=400)
    ph = portal.prove_phone(request, form, d["phone"])
    if not ph:
        return _aid_page(request, form, status=400)
    try:
        with transaction.atomic():
            case = legalaid.apply(Actor.citizen(), d, d["income_statement"], via="portal")
            Submission.objects.create(token=token, case=case, phone_hash=ph, ip_hash=ip_h)
    except IntegrityError:
        done = Submission.objects.filter(token=token).select_related("case").first()
        if done is None:
            raise
        return redirect("portal:receipt", secret=done.case.tracking_secret)
    except (ActionError, uploads.UploadError) as exc:
        form.add_error(None, exc.message)
        for field, errs in getattr(exc, "errors", {}).items():
            if field in form.fields:
                form.add_error(field, [str(e) for e in errs] if isinstance(errs, list) else str(errs))
        return _aid_page(request, form, status=400)
    return redirect("portal:receipt", secret=case.tracking_secret)


def _aid_page(request: HttpRequest, form: LegalAidForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "knowledge/portal/legal_aid.html",
        {"form": form, "verified": bool(portal.verified_hash(request)), "centre": legalaid.centre()},
        status=status,
    )


def not_found(_request: HttpRequest) -> HttpResponse:  # pragma: no cover - Django's 404 handles it
    raise Http404
