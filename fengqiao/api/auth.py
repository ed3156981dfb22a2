"""POST /api/token/: an API token, behind the same door as the staff sign-in page.

The same lockout (django-axes: five failures lock the account for 15 minutes, whatever the client
address), the same second factor (an account whose web sign-in needs a TOTP code must send ``otp``
too), and a DRF scoped throttle per client address. Errors are Chinese JSON."""

from __future__ import annotations

from typing import Any

import django_otp
from django.contrib.auth import authenticate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fengqiao.core import audit
from fengqiao.core.middleware import client_ip
from fengqiao.org import otp
from fengqiao.web import lockout


class ClientAddressScopedThrottle(ScopedRateThrottle):
    """DRF's scoped throttle keyed by :func:`client_ip` (never a client-chosen X-Forwarded-For)."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"


class TokenInput(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), max_length=4096, trim_whitespace=False)
    otp = serializers.RegexField(
        r"^\s*\d{6,8}\s*$",
        label=_("动态验证码"),
        required=False,
        allow_blank=True,
        error_messages={"invalid": _("请输入身份验证器上显示的6位数字。")},
    )


def _refused(message: str, code: str, status: int = 400) -> Response:
    return Response({"detail": message, "code": code}, status=status)


class ObtainTokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressScopedThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenInput,
        responses={
            200: inline_serializer("TokenOut", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="用户名或密码不正确、缺少或错误的动态验证码"),
            429: OpenApiResponse(description="账号已锁定，或请求过于频繁"),
        },
        summary="获取 API 令牌（与网页登录同样的锁定与动态验证码要求）",
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        username, password = data.validated_data["username"], data.validated_data["password"]
        code = (data.validated_data.get("otp") or "").strip()
        http = request._request
        user = authenticate(http, username=username, password=password)
        if user is None:
            until = lockout.locked_until(username)
            if until is not None:
                return _refused(lockout.locked_message(until), "locked", 429)
            return _refused(gettext("用户名或密码不正确。"), "invalid_credentials")
        if lockout.locked_until(username) is not None:  # pragma: no cover - axes refused above
            return _refused(lockout.locked_message(lockout.locked_until(username)), "locked", 429)
        device = otp.confirmed_device(user)
        if otp.otp_required(user) or device is not None:
            if device is None:
                return _refused(
                    gettext("该账号须使用动态验证码：请先在网页端登录并绑定身份验证器，再获取令牌。"), "otp_enrol"
                )
            if not code:
                return _refused(
                    gettext("该账号须使用动态验证码：请在 otp 字段填写身份验证器上的6位数字。"), "otp_required"
                )
            if not device.verify_is_allowed()[0]:
                return _refused(gettext("尝试过于频繁，请稍候几秒再试。"), "otp_throttled", 429)
            if not django_otp.verify_token(user, device.persistent_id, code):
                until = lockout.record_failure(http, user.get_username())
                audit.record("auth.otp", user=user, obj=user, result="denied", detail={"door": "api_token"})
                if until is not None:
                    return _refused(lockout.locked_message(until), "locked", 429)
                return _refused(gettext("动态验证码不正确或已过期。"), "otp_invalid")
        lockout.reset(user.get_username())
        token, _created = Token.objects.get_or_create(user=user)
        audit.record("auth.token", user=user, obj=user, result="ok")
        return Response({"token": token.key})
