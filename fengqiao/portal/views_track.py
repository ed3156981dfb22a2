"""The citizen's tracking pages, opened by the secret link of the SMS or the receipt: progress, receipt,
a note with files, withdrawal and the rating. Every change goes through the action layer as
``Actor.citizen()``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fengqiao.cases import codes, uploads
from fengqiao.cases.actions import ActionError, Actor, perform
from fengqiao.cases.choices import Satisfaction
from fengqiao.cases.events import public_wording
from fengqiao.cases.models import Attachment, Case
from fengqiao.cases.workflow import TRANSITIONS, State
from fengqiao.notify.templates import tracking_link
from fengqiao.portal.forms import NoteForm, RateForm, WithdrawForm
from fengqiao.portal.views import PLAIN_STATE, RATABLE, _discard, _private, precheck_files, store_files

TRACK_FIELDS = (
    "code",
    "tracking_secret",
    "title",
    "state",
    "version",
    "created_at",
    "due_at",
    "result_summary",
    "referral",
    "satisfaction",
    "handler_id",
    "handler__display_name",
    "owner_unit__name",
)


def _case_by_secret(secret: str) -> Case:
    if len(secret) < 20:
        raise Http404
    return get_object_or_404(
        Case.objects.select_related("owner_unit", "handler").only(*TRACK_FIELDS), tracking_secret=secret
    )


@never_cache
def receipt(request: HttpRequest, secret: str) -> HttpResponse:
    case = _case_by_secret(secret)
    link = tracking_link(case, request)
    return _private(
        render(request, "portal/receipt.html", {"case": case, "link": link, "qr": codes.qr_svg(link, scale=4)})
    )


def _track_context(case: Case, **forms: Any) -> dict[str, Any]:
    events = []
    rows = list(
        case.events.filter(public=True).order_by("at", "id").values_list("id", "code", "at", "reason", "actor_role")
    )
    last_resolve = max((pk for pk, code, *_ in rows if code == "case.resolve"), default=None)
    for pk, code, at, reason, role in rows:
        text = ""
        if code in {"case.note", "case.refer", "case.reopen", "case.withdraw"}:
            text = reason
        if code == "case.resolve" and pk == last_resolve:
            text = case.result_summary
        events.append({"at": at, "label": public_wording(code), "text": text, "mine": role == "citizen", "files": 0})
    _confirm_files(case, events)
    return {
        "case": case,
        "plain_state": PLAIN_STATE.get(State(case.state), case.get_state_display()),
        "events": events,
        "handler_name": (getattr(case.handler, "display_name", "") or "工作人员") if case.handler_id else "",
        "can_note": TRANSITIONS["note"].allows(case.state),
        "can_withdraw": TRANSITIONS["withdraw"].allows(case.state),
        "can_rate": case.state in RATABLE and not case.satisfaction,
        "note_form": forms.get("note_form") or NoteForm(),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "rate_form": forms.get("rate_form") or RateForm(),
        "attachments": case.attachments.count(),
        "satisfaction_label": Satisfaction(case.satisfaction).label if case.satisfaction else "",
    }


def _confirm_files(case: Case, events: list[dict[str, Any]]) -> None:
    """Each of the citizen's own steps (the submission, a note) says how many files came with it:
    the citizen's uploads (no staff uploader) are stored in the same transaction as the step."""
    uploads = sorted(case.attachments.filter(uploaded_by__isnull=True).values_list("uploaded_at", flat=True))
    mine = [e for e in events if e["mine"]]
    for at in uploads:
        before = [e for e in mine if e["at"] <= at + dt.timedelta(seconds=5)]
        if before:
            before[-1]["files"] += 1


# The tracking page is the citizens' most frequent request and changes only with the case: its HTML is
# kept per case version and language for a minute (Django's cache: Redis in production), with a mark
# where each visitor's CSRF token goes. A page with a flash message is rendered afresh.
TRACK_CACHE_SECONDS = 60
CSRF_MARK = "fq-csrf-mark-0b6c1d"


@never_cache
def track(request: HttpRequest, secret: str) -> HttpResponse:
    from django.core.cache import cache
    from django.middleware.csrf import get_token
    from django.utils.translation import get_language

    if len(secret) < 20:
        raise Http404
    row = Case.objects.filter(tracking_secret=secret).values_list("code", "version").first()
    if row is None:
        raise Http404
    # The random case code, not the id: ids come back after a database is restored or reset.
    key = f"portal:track:{row[0]}:{row[1]}:{get_language()}"
    flash = bool(messages.get_messages(request))
    html = None if flash else cache.get(key)
    if html is None:
        case = _case_by_secret(secret)
        page = render(request, "portal/track.html", {**_track_context(case), "csrf_token": CSRF_MARK})
        html = page.content.decode()
        if not flash and case.version == row[1]:
            cache.set(key, html, TRACK_CACHE_SECONDS)
    return _private(HttpResponse(html.replace(CSRF_MARK, get_token(request))))


@never_cache
@require_POST
def track_note(request: HttpRequest, secret: str) -> HttpResponse:
    case = _case_by_secret(secret)
    form = NoteForm(request.POST, request.FILES)
    if not form.is_valid() or not precheck_files(form):
        return _private(render(request, "portal/track.html", _track_context(case, note_form=form), status=400))
    files = form.cleaned_data.get("materials") or []
    text = (form.cleaned_data.get("text") or "").strip()
    if not text:
        text = "补充材料：" + "、".join(uploads.clean_name(f.name or "") for f in files)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            perform("note", case, Actor.citizen(), {"text": text, "public": True}, via="portal")
            store_files(case, files, stored)
    except (ActionError, uploads.UploadError) as exc:
        _discard(stored)
        form.add_error(None, exc.message)
        case.refresh_from_db()
        return _private(render(request, "portal/track.html", _track_context(case, note_form=form), status=400))
    messages.success(request, "补充内容已提交，工作人员会看到。")
    return redirect(reverse("portal:track", args=[secret]) + "#timeline")


@never_cache
@require_POST
def track_withdraw(request: HttpRequest, secret: str) -> HttpResponse:
    case = _case_by_secret(secret)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            perform("withdraw", case, Actor.citizen(), {"reason": form.cleaned_data["reason"]}, via="portal")
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "事项已撤回。")
            return redirect("portal:track", secret=secret)
    case.refresh_from_db()
    return _private(render(request, "portal/track.html", _track_context(case, withdraw_form=form), status=400))


@never_cache
@require_POST
def track_rate(request: HttpRequest, secret: str) -> HttpResponse:
    case = _case_by_secret(secret)
    form = RateForm(request.POST)
    if form.is_valid():
        if case.state not in RATABLE or case.satisfaction:
            form.add_error(None, "该事项当前不能评价（可能已经评价过）。")
        else:
            try:
                with transaction.atomic():
                    perform("rate", case, Actor.citizen(), form.action_data(), via="portal")
                    if form.cleaned_data.get("reopen"):
                        reason = form.cleaned_data.get("comment") or "群众对办理结果不满意，申请重新办理。"
                        perform("reopen", case, Actor.citizen(), {"reason": reason}, via="portal")
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                reopened = form.cleaned_data.get("reopen")
                messages.success(request, "已申请重新办理，我们会尽快处理。" if reopened else "感谢您的评价！")
                return redirect("portal:track", secret=secret)
    case.refresh_from_db()
    return _private(render(request, "portal/track.html", _track_context(case, rate_form=form), status=400))
