"""Citizen portal pages (民生码 intake, receipt, tracking, rating). Every change goes through the
action layer as ``Actor.citizen()``; phone numbers never appear in a URL, only hashes in the session."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fengqiao.cases import uploads
from fengqiao.cases.actions import ActionError, Actor, register_case
from fengqiao.cases.actions.base import process_cached
from fengqiao.cases.choices import AttachmentKind, PartyRole
from fengqiao.cases.models import Attachment, Case
from fengqiao.cases.workflow import State
from fengqiao.core import formerrors
from fengqiao.core.middleware import client_ip
from fengqiao.org.models import Unit
from fengqiao.portal import verify
from fengqiao.portal.forms import FindForm, PhoneStep, SubmitForm, derive_title
from fengqiao.portal.models import Submission

SESSION_KEY = "portal_phone"
SESSION_TTL = dt.timedelta(minutes=30)
WECHAT_KEY = "portal_wechat"
PREFILL_KEY = "portal_prefill"  # text another portal page (the help assistant) hands to the form, kept in the session
SUBMIT_PER_IP_HOUR = 10
SUBMIT_PER_PHONE_DAY = 5


def limit(name: str, default: int) -> int:
    """A portal rate limit, overridable by the environment (``FENGQIAO_PORTAL_<NAME>``): a village
    office on one shared IP may need a higher per-IP cap; the benchmark's clients all come from 127.0.0.1."""
    try:
        return int(os.environ.get(f"FENGQIAO_PORTAL_{name}", default))
    except ValueError:
        return default


RATABLE = {State.RESOLVED, State.UNRESOLVED, State.CLOSED}

PLAIN_STATE = {
    State.REGISTERED: "已登记，等待受理",
    State.DISPATCHED: "正在转交责任单位",
    State.ACCEPTED: "已受理",
    State.IN_PROGRESS: "办理中",
    State.MEDIATING: "调解中",
    State.PAUSED: "暂停办理（等待相关材料或结果）",
    State.RESOLVED: "已化解",
    State.UNRESOLVED: "已引导通过其他途径解决",
    State.CLOSED: "已办结",
    State.WITHDRAWN: "已撤回",
    State.MERGED: "已与相同事项合并办理",
    State.ARCHIVED: "已归档",
}


# --------------------------------------------------------------------------------------------- helpers


def _private(response: HttpResponse) -> HttpResponse:
    """Pages reached by a secret link: not cached, and the link never leaks to other sites through Referer
    (same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" and CSRF refuses the forms)."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


LOOKUPS_PER_IP_HOUR = 30
TOO_MANY_LOOKUPS = "查询太频繁，请一小时后再试。如情况紧急请拨打 110 或 12345。"


def over_limit(request: HttpRequest, scope: str, default: int, window: int = 3600) -> bool:
    """Count one attempt of ``scope`` from this IP (keyed hash, fixed window in the cache); True once
    the limit is passed. Guards tracking by code + phone and "my cases" against enumeration."""
    from django.core.cache import cache

    key = f"portal:rl:{scope}:{verify.ip_hash(client_ip(request))}:{int(time.time()) // window}"
    cache.add(key, 0, window + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, window + 60)
        count = 1
    return count > limit(scope.upper() + "_PER_IP_HOUR", default)


def verified_hash(request: HttpRequest) -> str:
    data = request.session.get(SESSION_KEY) or {}
    try:
        at = dt.datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return ""
    if timezone.now() - at > SESSION_TTL:
        return ""
    return str(data.get("hash", ""))


def remember_phone(request: HttpRequest, ph: str) -> None:
    if verified_hash(request) != ph:
        request.session.cycle_key()
    request.session[SESSION_KEY] = {"hash": ph, "at": timezone.now().isoformat()}


def send_code(request: HttpRequest, form: PhoneStep) -> None:
    """Handle a "获取验证码" press: errors go onto the form, success into messages."""
    phone = form.cleaned_data.get("phone", "") if form.is_valid() or "phone" not in form.errors else ""
    if "phone" in form.errors:
        return
    if not phone:
        form.add_error("phone", "请填写手机号码。")
        return
    try:
        verify.issue(phone, client_ip(request))
    except verify.VerifyError as exc:
        form.add_error("sms_code", exc.message)
        return
    messages.success(request, "验证码已发送到您的手机，5分钟内有效。")


def prove_phone(request: HttpRequest, form: PhoneStep, phone: str) -> str:
    """The phone's hash when this session already verified it or the typed code is right, else ""."""
    ph = verify.phone_hash(phone)
    if verified_hash(request) == ph:
        return ph
    if not form.cleaned_data.get("sms_code"):
        form.add_error("sms_code", "请填写短信验证码（先点“获取验证码”）。")
        return ""
    try:
        verify.check(phone, form.cleaned_data["sms_code"])
    except verify.VerifyError as exc:
        form.add_error("sms_code", exc.message)
        return ""
    remember_phone(request, ph)
    return ph


def store_files(case: Case, files: list[UploadedFile], stored: list[Attachment]) -> None:
    """Save checked uploads privately; call inside the transaction that holds the case."""
    for upload in files:
        checked = uploads.check(upload)
        uploads.check_count(case)
        att = Attachment(
            case=case,
            kind=AttachmentKind.EVIDENCE,
            original_name=checked.name,
            content_type=checked.type.content_type,
            size=checked.size,
            sha256=checked.sha256,
            public=False,
        )
        att.file.save(f"upload{checked.type.ext}", upload, save=False)
        stored.append(att)
        att.save()


def _discard(stored: list[Attachment]) -> None:
    for att in stored:
        if att.file.name:
            att.file.storage.delete(att.file.name)


def precheck_files(form: Any) -> bool:
    for upload in form.cleaned_data.get("materials") or []:
        try:
            uploads.check(upload)
        except uploads.UploadError as exc:
            form.add_error("materials", f"{uploads.clean_name(upload.name or '')}：{exc.message}")
            return False
    return True


# --------------------------------------------------------------------------------------------- pages


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"verified": bool(verified_hash(request))})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html")


def unit_chain(unit: Unit | None) -> list[Unit]:
    if unit is None:
        return []
    return unit.ancestors()


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, unit_code: str = "") -> HttpResponse:
    unit_code = unit_code or request.POST.get("unit", "") or request.GET.get("unit", "")
    unit = (
        process_cached(("unit_code", unit_code), lambda: Unit.objects.filter(code=unit_code, is_active=True).first())
        if unit_code
        else None
    )
    if unit_code and unit is None:
        raise Http404
    kwargs = {"allow_anonymous": bool(unit and unit.allows_anonymous), "has_unit": unit is not None}
    if request.method == "GET":
        initial = {"token": secrets.token_urlsafe(24), "unit": unit.code if unit else ""}
        prefill = request.session.pop(PREFILL_KEY, None) or {}
        initial.update({k: str(v)[:5000] for k, v in prefill.items() if k in {"description", "category"}})
        form = SubmitForm(initial=initial, **kwargs)
        return _submit_page(request, form, unit)

    form = SubmitForm(request.POST, request.FILES, **kwargs)
    if request.POST.get("website"):
        # Honeypot: a person never sees this field. Nothing is created, nothing is said about why.
        return render(request, "portal/refused.html", status=400)
    if request.POST.get("action") == "send_code":
        form.is_valid()
        send_code(request, form)
        form.errors.pop("consent", None)
        form.errors.pop("description", None) if not request.POST.get("description") else None
        return _submit_page(request, form, unit, status=200 if "sms_code" not in form.errors else 400)

    token = request.POST.get("token", "")
    done = Submission.objects.filter(token=token).select_related("case").first() if token else None
    if done is not None:
        return redirect("portal:receipt", secret=done.case.tracking_secret)
    if not form.is_valid():
        return _submit_page(request, form, unit, status=400)
    d = form.cleaned_data
    anonymous = bool(kwargs["allow_anonymous"] and d.get("anonymous"))
    ip_h = verify.ip_hash(client_ip(request))
    now = timezone.now()
    by_ip = Q(ip_hash=ip_h, created_at__gte=now - dt.timedelta(hours=1))
    by_phone = Q(phone_hash=verify.phone_hash(d.get("phone") or "-"), created_at__gte=now - dt.timedelta(days=1))
    # Both rate counters in one query (the phone's only when the applicant gives it).
    counts = Submission.objects.filter(by_ip | by_phone if not anonymous else by_ip).aggregate(
        ip=Count("id", filter=by_ip), phone=Count("id", filter=by_phone)
    )
    if counts["ip"] >= limit("SUBMIT_PER_IP_HOUR", SUBMIT_PER_IP_HOUR):
        form.add_error(None, "提交太频繁，请稍后再试。如情况紧急请拨打 110 或 12345。")
        return _submit_page(request, form, unit, status=429)
    ph = ""
    if not anonymous and counts["phone"] >= limit("SUBMIT_PER_PHONE_DAY", SUBMIT_PER_PHONE_DAY):
        form.add_error(None, "该手机号今天提交的事项较多，请明天再提交，或在“我的事项”中补充材料。")
        return _submit_page(request, form, unit, status=429)
    if not precheck_files(form):
        return _submit_page(request, form, unit, status=400)
    if not anonymous:
        ph = prove_phone(request, form, d["phone"])
        if not ph:
            return _submit_page(request, form, unit, status=400)

    parties: list[dict[str, Any]] = []
    if not anonymous:
        parties.append({"role": PartyRole.APPLICANT, "name": d.get("name", ""), "phone": d["phone"]})
    if d.get("respondent_name") or d.get("respondent_phone"):
        parties.append(
            {"role": PartyRole.RESPONDENT, "name": d.get("respondent_name", ""), "phone": d.get("respondent_phone", "")}
        )
    data = {
        "title": (d.get("title") or "").strip() or derive_title(d["description"]),
        "description": d["description"],
        "category": d.get("category") or None,
        "channel": "qr" if unit else "web",
        "anonymous": anonymous,
        "address_text": d.get("address_text", ""),
        "location_unit": unit.pk if unit else None,
        "people_count": d.get("people_count") or 1,
        "parties": parties,
    }
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            case, _ = register_case(Actor.citizen(), data, via="portal")
            Submission.objects.create(
                token=token, case=case, phone_hash=ph, ip_hash=ip_h, wechat_openid=request.session.get(WECHAT_KEY, "")
            )
            store_files(case, d.get("materials") or [], stored)
    except IntegrityError:
        _discard(stored)
        done = Submission.objects.filter(token=token).select_related("case").first()
        if done is None:
            raise
        return redirect("portal:receipt", secret=done.case.tracking_secret)
    except (ActionError, uploads.UploadError) as exc:
        _discard(stored)
        form.add_error(None, exc.message)
        for field, msgs in _portal_errors(getattr(exc, "errors", {}), form).items():
            for msg in msgs:
                form.add_error(field or None, msg)
        return _submit_page(request, form, unit, status=400)
    except Exception:
        _discard(stored)
        raise
    return redirect("portal:receipt", secret=case.tracking_secret)


# An applicant's error in the action's input (``parties[0].phone``) is the portal form's ``phone``;
# the respondent's (``parties[1]``) its ``respondent_*`` field.
_PARTY_FIELD = {0: {"phone": "phone", "name": "name"}, 1: {"phone": "respondent_phone", "name": "respondent_name"}}


def _portal_errors(errors: Any, form: SubmitForm) -> dict[str, list[str]]:
    """``ActionError.errors`` as messages under the portal form's own fields ("" = the whole form)."""
    out: dict[str, list[str]] = {}
    for path, msg in formerrors.walk(errors):
        head = str(path[0]) if path else ""
        field = ""
        if head == "parties" and len(path) > 2 and isinstance(path[1], int):
            field = _PARTY_FIELD.get(path[1], {}).get(str(path[2]), "")
        elif head == "address_text" or head in form.fields:
            field = head
        if msg not in out.setdefault(field, []):
            out[field].append(msg)
    return out


def _submit_page(request: HttpRequest, form: SubmitForm, unit: Unit | None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "portal/submit.html",
        {"form": form, "unit": unit, "chain": unit_chain(unit), "verified": bool(verified_hash(request))},
        status=status,
    )


# What the tracking page and its forms read of a case (a narrow row: the page is the citizens' most
# frequent request).


@never_cache
@require_http_methods(["GET", "POST"])
def find(request: HttpRequest) -> HttpResponse:
    """Track by case code + phone: the phone is proved by SMS code (or earlier in this session)."""
    if request.method == "GET":
        return render(request, "portal/find.html", {"form": FindForm(), "verified": bool(verified_hash(request))})
    form = FindForm(request.POST)
    if over_limit(request, "lookups", LOOKUPS_PER_IP_HOUR):
        form.add_error(None, TOO_MANY_LOOKUPS)
        return render(request, "portal/find.html", {"form": form}, status=429)
    if request.POST.get("action") == "send_code":
        # The code first: no SMS (and no cost) for a code that is mistyped or that no case has.
        form.is_valid()
        code = form.cleaned_data.get("code")
        if code and not Case.objects.filter(code=code).exists():
            form.add_error("code", "没有找到这个编号的事项，请核对回执上的12位编号。")
        if "code" not in form.errors:
            send_code(request, form)
        return render(request, "portal/find.html", {"form": form}, status=200 if not form.errors else 400)
    if form.is_valid():
        phone = form.cleaned_data["phone"]
        if not phone:
            form.add_error("phone", "请填写登记时留的手机号码。")
        else:
            ph = prove_phone(request, form, phone)
            if ph:
                case = Case.objects.filter(code=form.cleaned_data["code"], parties__phone_hash=ph).first()
                if case is not None:
                    return redirect("portal:track", secret=case.tracking_secret)
                form.add_error("code", "没有找到这个编号对应的、用该手机号登记的事项。")
    return render(request, "portal/find.html", {"form": form}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    ph = verified_hash(request)
    form = PhoneStep(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") != "leave" and over_limit(request, "lookups", LOOKUPS_PER_IP_HOUR):
            form.add_error(None, TOO_MANY_LOOKUPS)
            return render(request, "portal/mine.html", {"form": form}, status=429)
        if request.POST.get("action") == "send_code":
            form.is_valid()
            send_code(request, form)
            return render(request, "portal/mine.html", {"form": form}, status=200 if not form.errors else 400)
        if request.POST.get("action") == "leave":
            request.session.pop(SESSION_KEY, None)
            return redirect("portal:home")
        if form.is_valid():
            if not form.cleaned_data.get("phone"):
                form.add_error("phone", "请填写手机号码。")
            elif prove_phone(request, form, form.cleaned_data["phone"]):
                return redirect("portal:mine")
        return render(request, "portal/mine.html", {"form": form}, status=400)
    if not ph:
        return render(request, "portal/mine.html", {"form": PhoneStep()})
    cases = (
        Case.objects.filter(Q(parties__phone_hash=ph), parties__role=PartyRole.APPLICANT)
        .select_related("owner_unit")
        .distinct()
        .order_by("-created_at")[:100]
    )
    rows = [{"case": c, "plain_state": PLAIN_STATE.get(State(c.state), c.state)} for c in cases]
    return _private(render(request, "portal/mine.html", {"rows": rows, "verified": True}))


def poster(request: HttpRequest, unit_code: str, fmt: str = "png") -> HttpResponse:
    """The unit's 民生码 poster: PNG for screens and chat groups, A4 PDF for printing."""
    from fengqiao.portal.poster import poster_pdf, poster_png

    unit = get_object_or_404(Unit, code=unit_code, is_active=True)
    url = request.build_absolute_uri(reverse("portal:unit", args=[unit.code]))
    if fmt == "pdf":
        response = HttpResponse(poster_pdf(unit, url), content_type="application/pdf")
    else:
        response = HttpResponse(poster_png(unit, url), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="poster-{unit.pk}.{fmt}"'
    return response


@never_cache
def wechat_entry(request: HttpRequest) -> HttpResponse:
    """Redirect target of WeChat web-page OAuth (snsapi_base): WeChat appends a one-time ``code``;
    we exchange it for the citizen's OpenID, keep it in the (server-side) session only, and continue
    to ``state`` (a portal path, e.g. the 民生码 link). Progress messages then go by WeChat."""
    from fengqiao.notify.backends import DeliveryError
    from fengqiao.notify.wechat import WeChatClient

    code = (request.GET.get("code") or "")[:128]
    target = request.GET.get("state") or ""
    if not target.startswith("/portal/") or "//" in target:
        target = reverse("portal:home")
    if code:
        try:
            openid = WeChatClient().openid_for_code(code)
        except DeliveryError:
            openid = ""
        if openid:
            request.session[WECHAT_KEY] = openid
    return redirect(target)
