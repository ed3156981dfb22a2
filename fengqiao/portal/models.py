"""Citizen portal state: SMS verification codes and submissions (idempotency and rate limits).
Phones and IP addresses are kept only as keyed hashes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import EncryptedTextField


class PhoneVerification(models.Model):
    phone_hash = models.CharField(max_length=64, db_index=True)
    ip_hash = models.CharField(max_length=64, db_index=True, blank=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("手机验证码")
        verbose_name_plural = _("手机验证码")
        indexes = [models.Index(fields=["phone_hash", "created_at"]), models.Index(fields=["ip_hash", "created_at"])]


class SendGate(models.Model):
    """One row per phone hash (and per IP hash) that ever asked for a code: the send-code path locks
    its rows (SELECT … FOR UPDATE) before checking the resend interval and the daily caps, so that
    concurrent presses for one phone are decided one after another (see :func:`fengqiao.portal.verify.issue`)."""

    key = models.CharField(max_length=80, unique=True)

    class Meta:
        verbose_name = _("验证码发送锁")
        verbose_name_plural = _("验证码发送锁")

    def __str__(self) -> str:
        return self.key


class Submission(models.Model):
    """One portal submission: its form token (a double submit finds the same case), and hashes of
    the phone and IP for rate limits."""

    token = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The citizen came through our WeChat account (OAuth): progress goes there instead of SMS.
    wechat_openid = EncryptedTextField(blank=True, default="")

    class Meta:
        verbose_name = _("群众提交")
        verbose_name_plural = _("群众提交")
