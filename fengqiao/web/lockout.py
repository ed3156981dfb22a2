"""Sign-in lockout on every door, by django-axes: five failures lock an account for fifteen minutes.

Axes counts failures in the database (``axes.AccessAttempt``, shared by every worker) from Django's
``user_login_failed`` signal, and its authentication backend refuses a locked account before the
password is even checked. The lock is per username whatever the client address, and per (username,
address): rotating X-Forwarded-For gains nothing (the address is :func:`~fengqiao.core.middleware.client_ip`).
This module holds what Fengqiao adds around it: usernames compared case-folded, the end of a lock for
the message, wrong second-factor codes counted like wrong passwords, and the locked answer in Chinese
(an HTML page, or JSON on the API).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from fengqiao.web.forms import LoginForm


def normalise(username: Any) -> str:
    # Case-folded, so "Admin" and "admin" share one counter.
    return str(username or "").strip().casefold()[:150]


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the username of an attempt, from the credentials or the posted form."""
    name = (credentials or {}).get("username")
    if not name:
        post = getattr(request, "POST", None) or getattr(request, "data", None) or {}
        name = post.get("username", "") if hasattr(post, "get") else ""
    return normalise(name)


def locked_until(username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on ``username`` ends (the last counted failure + the cool-off), or None."""
    key = normalise(username)
    if not key:
        return None
    now = now or timezone.now()
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(username=key, attempt_time__gte=now - cool_off)
    agg = recent.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (agg["failures"] or 0) < settings.AXES_FAILURE_LIMIT or agg["last"] is None:
        return None
    return agg["last"] + cool_off


def record_failure(request: HttpRequest, username: str) -> dt.datetime | None:
    """Count a failed step that Django's authenticate() does not see (a wrong second-factor code);
    returns the end of the lock when the account is (now) locked."""
    if locked_until(username) is None:
        AxesProxyHandler.user_login_failed(sender=__name__, credentials={"username": username}, request=request)
    return locked_until(username)


def reset(username: str) -> None:
    """A completed sign-in forgets the failures of this account (on every address)."""
    AccessAttempt.objects.filter(username=normalise(username)).delete()


def locked_message(until: dt.datetime | None) -> str:
    if until is None:
        return gettext("连续登录失败次数过多，该账号已锁定，请稍后再试。")
    local = timezone.localtime(until)
    return gettext("连续登录失败次数过多，该账号已锁定，请于 %(t)s 后再试。") % {"t": local.strftime("%H:%M")}


def lockout_response(request: HttpRequest, response: HttpResponse | None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: our views already answer 429 with the reason; anything else that ran
    into a lock gets the sign-in page (or JSON on the API) with the locked message."""
    if response is not None and response.status_code == 429:
        return response
    until = locked_until(axes_username(request, credentials if isinstance(credentials, dict) else None))
    message = locked_message(until)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked"}, status=429)
    return render(request, "web/auth/login.html", {"form": LoginForm(), "error": message, "next": ""}, status=429)
