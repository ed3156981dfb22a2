"""/admin/ behind the same door as the staff pages: the one sign-in page (lockout, second factor) and
OTP verification required, as django-otp's ``OTPAdminSite`` does. The admin site object is kept (apps
register their ModelAdmins on it); only its class gains this mixin at start-up (WebConfig.ready)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.sites import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from fengqiao.org.otp import is_verified


class OTPRequiredAdminMixin:
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request.user)  # type: ignore[misc]

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if request.user.is_authenticated and request.user.is_staff and not is_verified(request.user):
            return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': next_url})}")
        return redirect(f"{reverse('web:login')}?{urlencode({'next': next_url})}")


def install(site: Any) -> None:
    """Give ``site`` (django.contrib.admin.site, a LazyObject) the OTP requirement, once."""
    _ = site.name  # the lazy object sets itself up on first attribute access
    target = getattr(site, "_wrapped", site)
    if isinstance(target, OTPRequiredAdminMixin):
        return
    assert isinstance(target, AdminSite)
    target.__class__ = type("FengqiaoAdminSite", (OTPRequiredAdminMixin, target.__class__), {})
