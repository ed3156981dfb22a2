"""Staff pages of the knowledge base: articles (list, edit, preview, versions, publish), the
consultation assistant for handlers on the phone, the unanswered questions and the case library.
Reading: any staff member with a role; writing: editors (see :mod:`fengqiao.knowledge.policy`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases.actions import ActionError, Actor
from fengqiao.cases.doors import staff_required
from fengqiao.core import audit
from fengqiao.knowledge import actions, assistant, policy
from fengqiao.knowledge.choices import ArticleState, ExemplaryState
from fengqiao.knowledge.forms import ArticleFilter, ArticleForm, AskForm, ExemplaryForm, ExemplaryStateFilter
from fengqiao.knowledge.models import Article, ExemplaryCase, UnansweredQuestion


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def _reader(request: HttpRequest) -> HttpResponse | None:
    if not policy.is_staff_reader(request.user):
        return _forbidden(request, _("知识库仅对有岗位角色的工作人员开放。"))
    return None


def _editor(request: HttpRequest) -> HttpResponse | None:
    if not policy.can_edit(request.user):
        return _forbidden(request, _("只有县级受理员、承办人和系统管理员可以编辑知识库。"))
    return None


def _errors_to_form(form: Any, exc: ActionError) -> None:
    form.add_error(None, exc.message)
    for field, errs in exc.errors.items():
        target = field if field in form.fields else None
        for e in errs if isinstance(errs, list) else [errs]:
            form.add_error(target, str(e))


# --------------------------------------------------------------------------------------------- articles


@staff_required
def articles(request: HttpRequest) -> HttpResponse:
    if (denied := _reader(request)) is not None:
        return denied
    editor = policy.can_edit(request.user)
    qs = Article.objects.all() if editor else Article.objects.filter(state=ArticleState.PUBLISHED)
    form = ArticleFilter(request.GET or None)
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(title__icontains=d["q"]) | Q(keywords__icontains=d["q"]) | Q(slug__icontains=d["q"]))
        if d["state"]:
            qs = qs.filter(state=d["state"])
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
    counts = dict.fromkeys(ArticleState.values, 0)
    for state in Article.objects.values_list("state", flat=True):
        counts[state] += 1
    return render(
        request,
        "knowledge/staff/articles.html",
        {
            "rows": qs.order_by("state", "kind", "title")[:300],
            "form": form,
            "editor": editor,
            "counts": [(ArticleState(s).label, n) for s, n in counts.items()],
            "unanswered": UnansweredQuestion.objects.filter(done=False).count(),
        },
    )


def _initial(article: Article) -> dict[str, Any]:
    data = {name: getattr(article, name) for name in actions.ARTICLE_FIELDS}
    data.update(
        slug=article.slug,
        categories=[c.code for c in article.categories.all()],
        domains=[d.code for d in article.domains.all()],
        review_due=article.review_due,
        version=article.version,
    )
    return data


@staff_required
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    article = get_object_or_404(Article, pk=pk) if pk else None
    if request.method == "POST":
        form = ArticleForm(request.POST, editing=article is not None)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if article is not None:
                data["slug"] = article.slug
            try:
                saved = actions.save_article(Actor.staff(request.user), article, data, note=data.get("note") or "")
            except ActionError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("已保存为第%(n)d版。") % {"n": saved.version})
                return redirect("knowledge:article_preview", pk=saved.pk)
        status = 400
    else:
        form = ArticleForm(
            initial=_initial(article) if article else {"kind": "faq", "audience": "public"}, editing=article is not None
        )
        status = 200
    return render(request, "knowledge/staff/article_edit.html", {"form": form, "article": article}, status=status)


@staff_required
def article_preview(request: HttpRequest, pk: int) -> HttpResponse:
    if (denied := _reader(request)) is not None:
        return denied
    editor = policy.can_edit(request.user)
    article = get_object_or_404(Article.objects.prefetch_related("categories", "domains"), pk=pk)
    if not editor and article.state != ArticleState.PUBLISHED:
        return _forbidden(request, _("这篇文章尚未发布。"))
    allowed = (
        [name for name, (sources, _t) in actions.ARTICLE_TRANSITIONS.items() if article.state in sources]
        if editor
        else []
    )
    return render(
        request,
        "knowledge/staff/article_preview.html",
        {
            "article": article,
            "editor": editor,
            "allowed": allowed,
            "labels": ACTION_LABELS,
            "events": article.events.all()[:20],
            "versions": article.versions.all()[:30],
        },
    )


ACTION_LABELS = {"submit": _("提交审核"), "return": _("退回修改"), "publish": _("发布"), "withdraw": _("撤下")}


@staff_required
@require_POST
def article_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    article = get_object_or_404(Article, pk=pk)
    try:
        actions.transition(Actor.staff(request.user), article, name, reason=request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("操作成功。"))
    return redirect("knowledge:article_preview", pk=pk)


@staff_required
@require_POST
def article_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    article = get_object_or_404(Article, pk=pk)
    try:
        saved = actions.restore_version(Actor.staff(request.user), article, number)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已恢复，保存为第%(n)d版。") % {"n": saved.version})
    return redirect("knowledge:article_preview", pk=pk)


# --------------------------------------------------------------------------------------------- assistant


@staff_required
def ask(request: HttpRequest) -> HttpResponse:
    if (denied := _reader(request)) is not None:
        return denied
    form = AskForm(request.GET or None)
    question = form.cleaned_data["q"].strip() if form.is_valid() else ""
    ctx: dict[str, Any] = {"form": form, "question": question}
    if question:
        ans = assistant.answer(question, staff=True)
        ctx.update(
            answer=ans,
            explained=[(h, ans.explain(h)) for h in ans.articles],
            cases=[(h, ans.explain(h)) for h in ans.cases],
        )
    response = render(request, "knowledge/staff/ask.html", ctx)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@staff_required
def unanswered(request: HttpRequest) -> HttpResponse:
    if (denied := _reader(request)) is not None:
        return denied
    show_done = request.GET.get("done") == "1"
    rows = UnansweredQuestion.objects.filter(done=show_done).order_by("-count", "-last_at")[:200]
    return render(
        request,
        "knowledge/staff/unanswered.html",
        {"rows": rows, "show_done": show_done, "editor": policy.can_edit(request.user)},
    )


@staff_required
@require_POST
def unanswered_done(request: HttpRequest, pk: int) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    row = get_object_or_404(UnansweredQuestion, pk=pk)
    UnansweredQuestion.objects.filter(pk=row.pk).update(done=True)
    role, unit_id = policy.editor_grant(request.user)
    audit.record(
        "knowledge.unanswered.done", user=request.user, role=role, unit_id=unit_id, obj=row, detail={"count": row.count}
    )
    messages.success(request, _("已标记为处理完毕。"))
    return redirect("knowledge:unanswered")


# --------------------------------------------------------------------------------------------- library


@staff_required
def library(request: HttpRequest) -> HttpResponse:
    if (denied := _reader(request)) is not None:
        return denied
    form = ExemplaryStateFilter(request.GET or None)
    qs = ExemplaryCase.objects.select_related("category")
    if form.is_valid() and form.cleaned_data["state"]:
        qs = qs.filter(state=form.cleaned_data["state"])
    return render(
        request,
        "knowledge/staff/library.html",
        {"rows": qs.order_by("state", "-created_at")[:300], "form": form, "editor": policy.can_edit(request.user)},
    )


@staff_required
def library_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    entry = get_object_or_404(ExemplaryCase, pk=pk) if pk else None
    status = 200
    if request.method == "POST":
        form = ExemplaryForm(request.POST)
        if form.is_valid():
            try:
                entry = actions.save_exemplary(Actor.staff(request.user), entry, form.cleaned_data)
            except ActionError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("已保存，待审核公开。"))
                return redirect("knowledge:library")
        status = 400
    else:
        initial = {}
        if entry is not None:
            initial = {k: getattr(entry, k) for k in ("title", "keywords", "facts", "resolution", "takeaway")}
            initial["category"] = entry.category.code if entry.category else ""
        form = ExemplaryForm(initial=initial)
    return render(request, "knowledge/staff/library_edit.html", {"form": form, "entry": entry}, status=status)


@staff_required
@require_POST
def library_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if (denied := _editor(request)) is not None:
        return denied
    entry = get_object_or_404(ExemplaryCase, pk=pk)
    actor = Actor.staff(request.user)
    try:
        if name == "approve":
            actions.approve_exemplary(actor, entry)
        elif name == "withdraw":
            actions.withdraw_exemplary(actor, entry, request.POST.get("reason", ""))
        else:
            raise ActionError(_("未知操作。"))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已公开。") if name == "approve" else _("已撤下。"))
    return redirect("knowledge:library")


__all__ = ["ExemplaryState"]
