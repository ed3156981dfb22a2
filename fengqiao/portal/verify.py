"""SMS verification codes for citizens: 6 digits, hashed, valid 5 minutes, at most 5 tries, a new
code only after 60 seconds, at most 10 codes a day per phone and 30 per IP address."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.core import crypto
from fengqiao.notify.outbox import queue_sms
from fengqiao.portal.models import PhoneVerification, SendGate

TTL = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5
DAILY_PER_PHONE = 10
DAILY_PER_IP = 30


class VerifyError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def phone_hash(phone: str) -> str:
    return crypto.search_hash(phone)


def ip_hash(ip: str | None) -> str:
    return crypto.search_hash(ip or "unknown", "ip")


def _code_hash(salt: str, code: str) -> str:
    return crypto.search_hash(f"{salt}:{code.strip()}", "otp")


def _day_start(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def _gate(*keys: str) -> None:
    """Serialise the send-code checks of these phones/addresses: make sure their gate rows exist
    (INSERT … ON CONFLICT DO NOTHING: concurrent creators do not fail), then lock them in key order
    (no deadlock between two presses sharing an address). Held until the transaction ends."""
    SendGate.objects.bulk_create([SendGate(key=k) for k in keys], ignore_conflicts=True)
    list(SendGate.objects.select_for_update().filter(key__in=keys).order_by("key").values_list("pk", flat=True))


def issue(phone: str, ip: str | None) -> PhoneVerification:
    """Create a code and queue its SMS (same transaction); raises :class:`VerifyError` when refused.
    The resend interval and the daily caps are checked under the phone's and the address's gate lock,
    so twenty simultaneous presses send one code."""
    ph, iph = phone_hash(phone), ip_hash(ip)
    with transaction.atomic():
        _gate(f"p:{ph}", f"i:{iph}")
        now = timezone.now()  # read after the lock: a press that waited sees the code sent meanwhile
        last = PhoneVerification.objects.filter(phone_hash=ph).order_by("-created_at").first()
        if last is not None and now - last.created_at < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1
            raise VerifyError(f"验证码已发送，请 {wait} 秒后再重新获取。")
        today = _day_start(now)
        if PhoneVerification.objects.filter(phone_hash=ph, created_at__gte=today).count() >= DAILY_PER_PHONE:
            raise VerifyError("该手机号今天获取验证码的次数已达上限，请明天再试。")
        if PhoneVerification.objects.filter(ip_hash=iph, created_at__gte=today).count() >= DAILY_PER_IP:
            raise VerifyError("今天获取验证码的次数过多，请明天再试。")
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        pv = PhoneVerification.objects.create(
            phone_hash=ph,
            ip_hash=iph,
            salt=salt,
            code_hash=_code_hash(salt, code),
            created_at=now,
            expires_at=now + TTL,
        )
        queue_sms(
            phone,
            f"【枫桥】您的验证码是{code}，5分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。",
            f"otp:{pv.pk}",
            template="verify",
        )
        from fengqiao.notify.templates import kick_relay

        kick_relay()
    return pv


def check(phone: str, code: str) -> str:
    """Check a code for ``phone``; returns the phone hash on success (the code is used up)."""
    now = timezone.now()
    ph = phone_hash(phone)
    pv = PhoneVerification.objects.filter(phone_hash=ph, verified_at=None).order_by("-created_at").first()
    if pv is None:
        raise VerifyError("请先获取短信验证码。")
    if pv.expires_at <= now:
        raise VerifyError("验证码已过期，请重新获取。")
    if pv.attempts >= MAX_ATTEMPTS:
        raise VerifyError("验证码错误次数过多，请重新获取。")
    # Count the try first, with a guarded UPDATE, so parallel guesses cannot exceed the limit.
    counted = PhoneVerification.objects.filter(pk=pv.pk, attempts__lt=MAX_ATTEMPTS, verified_at=None).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise VerifyError("验证码错误次数过多，请重新获取。")
    if not hmac.compare_digest(pv.code_hash, _code_hash(pv.salt, code or "")):
        left = MAX_ATTEMPTS - pv.attempts - 1
        if left <= 0:
            raise VerifyError("验证码错误次数过多，请重新获取。")
        raise VerifyError(f"验证码不正确，还可以再试 {left} 次。")
    used = PhoneVerification.objects.filter(pk=pv.pk, verified_at=None).update(verified_at=now)
    if not used:
        raise VerifyError("验证码已使用，请重新获取。")
    return ph
