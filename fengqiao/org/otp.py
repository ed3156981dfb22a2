"""The second factor (TOTP, django-otp): who needs it, their device, the enrolment QR code."""

from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import quote, urlencode

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.org.choices import Role

OTP_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
ISSUER = "Fengqiao"


def otp_required(user: Any) -> bool:
    """Administrators (the three admin roles, and anyone who can open /admin/) must use TOTP."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    grants = user.role_grants() if hasattr(user, "role_grants") else []
    return any(g.role in OTP_ROLES for g in grants)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def otpauth_url(device: TOTPDevice) -> str:
    label = quote(f"{ISSUER}:{device.user.get_username()}")
    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode(),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
            "issuer": ISSUER,
        }
    )
    return f"otpauth://totp/{label}?{params}"


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an authenticator by hand."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(data: str) -> str:
    return str(segno.make_qr(data, error="m").svg_inline(scale=4, border=2, title="TOTP"))
