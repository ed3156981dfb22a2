"""Sign-in with lockout, the TOTP second factor (required for administrators), sign-out, and the
role-aware home page."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.cases.doors import staff_required, staff_user
from fengqiao.core import audit
from fengqiao.core.ratelimit import rate_limited
from fengqiao.org import otp
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.web import lockout
from fengqiao.web.forms import LoginForm, TokenForm
from fengqiao.web.views.common import safe_next

PENDING_KEY = "web_pending_login"
PENDING_SECONDS = 300
DESK_ROLES = {Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER}


@sensitive_post_parameters("password")
@never_cache
@rate_limited("login")
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        # django-axes' backend refuses a locked account before the password is checked; every refusal
        # is counted and audited through the user_login_failed signal.
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            until = lockout.locked_until(username)
            error = lockout.locked_message(until) if until else gettext("用户名或密码不正确。")
            status = 429 if until else 200
        elif otp.otp_required(user) or otp.confirmed_device(user) is not None:
            if request.user.is_authenticated:
                auth_logout(request)  # signing in as someone else: end the current session first
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "uid": user.pk,
                "backend": getattr(user, "backend", ""),
                "at": time.time(),
                "next": next_url,
            }
            target = "web:otp_verify" if otp.confirmed_device(user) else "web:otp_setup"
            return redirect(target)
        else:
            auth_login(request, user)  # axes forgets this account's failures (AXES_RESET_ON_SUCCESS)
            return redirect(next_url or reverse("web:home"))
    return render(request, "web/auth/login.html", {"form": form, "error": error, "next": next_url}, status=status)


class _Subject:
    """Whom the second-factor step is for: a user who passed the password step (not signed in yet),
    or a signed-in user who must still verify."""

    def __init__(self, user: User, backend: str, next_url: str, pending: bool):
        self.user, self.backend, self.next_url, self.pending = user, backend, next_url, pending


def _subject(request: HttpRequest) -> _Subject | None:
    if request.user.is_authenticated:
        next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
        return _Subject(staff_user(request), "", next_url, pending=False)
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    uid = data.get("uid")
    user = User.objects.filter(pk=uid, is_active=True).first() if isinstance(uid, int) else None
    if user is None:
        return None
    return _Subject(user, str(data.get("backend", "")), str(data.get("next", "")), pending=True)


def _complete(request: HttpRequest, subject: _Subject, device: TOTPDevice) -> HttpResponse:
    lockout.reset(subject.user.get_username())
    if subject.pending:
        request.session.pop(PENDING_KEY, None)
        auth_login(request, subject.user, backend=subject.backend or None)
    django_otp.login(request, device)
    return redirect(subject.next_url or reverse("web:home"))


def _token_failed(request: HttpRequest, subject: _Subject) -> tuple[str, int]:
    """Count a wrong code like a wrong password (django-axes); the message and the status to answer."""
    until = lockout.record_failure(request, subject.user.get_username())
    audit.record("auth.otp", user=subject.user, obj=subject.user, result="denied")
    if until is not None and subject.pending:
        request.session.pop(PENDING_KEY, None)
    if until is not None:
        return lockout.locked_message(until), 429
    return gettext("动态验证码不正确或已过期。"), 200


@sensitive_post_parameters("token")
@never_cache
def otp_verify(request: HttpRequest) -> HttpResponse:
    subject = _subject(request)
    if subject is None:
        messages.info(request, gettext("请重新登录。"))
        return redirect("web:login")
    device = otp.confirmed_device(subject.user)
    if device is None:
        return redirect(f"{reverse('web:otp_setup')}?{urlencode({'next': subject.next_url})}")
    form = TokenForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        until = lockout.locked_until(subject.user.get_username())
        if until is not None:
            error, status = lockout.locked_message(until), 429
        elif not device.verify_is_allowed()[0]:
            error = gettext("尝试过于频繁，请稍候几秒再试。")
        elif django_otp.verify_token(subject.user, device.persistent_id, form.cleaned_data["token"].strip()):
            return _complete(request, subject, device)
        else:
            error, status = _token_failed(request, subject)
    return render(
        request,
        "web/auth/otp_verify.html",
        {"form": form, "error": error, "subject": subject, "next": subject.next_url},
        status=status,
    )


@sensitive_post_parameters("token")
@never_cache
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: a new (unconfirmed) TOTP device, its otpauth QR code, and a first token
    to confirm it. A user who already has a confirmed device verifies instead of enrolling again."""
    subject = _subject(request)
    if subject is None:
        return redirect("web:login")
    existing = otp.confirmed_device(subject.user)
    if existing is not None and (subject.pending or not otp.is_verified(subject.user)):
        return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': subject.next_url})}")
    if existing is not None:
        return render(request, "web/auth/otp_setup.html", {"subject": subject, "enabled": True})
    device = TOTPDevice.objects.filter(user=subject.user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=subject.user, name=gettext("身份验证器"), confirmed=False)
    form = TokenForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        until = lockout.locked_until(subject.user.get_username())
        if until is not None:
            error, status = lockout.locked_message(until), 429
        elif not device.verify_is_allowed()[0]:
            error = gettext("尝试过于频繁，请稍候几秒再试。")
        elif device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit.record("auth.otp_enrol", user=subject.user, obj=subject.user)
            messages.success(request, gettext("已启用动态验证码。"))
            return _complete(request, subject, device)
        else:
            error, status = _token_failed(request, subject)
    url = otp.otpauth_url(device)
    return render(
        request,
        "web/auth/otp_setup.html",
        {
            "subject": subject,
            "form": form,
            "error": error,
            "qr": otp.qr_svg(url),
            "secret": otp.secret_text(device),
            "required": otp.otp_required(subject.user),
            "next": subject.next_url,
        },
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    request.session.pop(PENDING_KEY, None)
    auth_logout(request)
    messages.info(request, gettext("您已安全退出。"))
    return redirect("web:login")


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # the oversight pages are mounted separately
        return None


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """Leaders go to the leader view, supervisors to the supervisor view, everyone with desk work to the
    workbench; administrators without case roles to the admin site."""
    user = staff_user(request)
    roles = {g.role for g in user.role_grants()}
    if not roles & DESK_ROLES:
        if Role.LEADER in roles and (url := _url_or_none("web:leader")):
            return redirect(url)
        if Role.SUPERVISOR in roles and (url := _url_or_none("web:supervisor")):
            return redirect(url)
        if user.is_staff:
            return redirect("admin:index")
    return redirect("web:workbench")
