"""Staff inbox notifications, created from case events by a background task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import EncryptedTextField


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["user", "read_at"])]


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DEAD = "dead", _("发送失败（死信）")


class OutboundMessage(models.Model):
    """Transactional outbox: written in the same transaction as the event that causes it, delivered
    by the relay (Celery in production, in-process in the demo) with retries, backoff and a dead
    letter state. ``dedup_key`` is unique, so a message is queued at most once."""

    channel = models.CharField(_("渠道"), max_length=16, default="sms")
    recipient = EncryptedTextField(_("接收人"))
    text = models.TextField(_("内容"), max_length=1000)
    template = models.CharField(_("模板"), max_length=40, blank=True)
    dedup_key = models.CharField(max_length=160, unique=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    provider_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.dedup_key} {self.status}"


class MessageTemplate(models.Model):
    """The SMS text sent to the applicant when a public event of this code happens (editable in the
    admin). Placeholders: {code} {title} {handler} {unit} {link}."""

    event_code = models.CharField(_("事件"), max_length=40, unique=True)
    name = models.CharField(_("模板名"), max_length=40)
    text = models.TextField(_("短信内容"), max_length=500)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["event_code"]
        verbose_name = _("短信模板")
        verbose_name_plural = _("短信模板")

    def __str__(self) -> str:
        return f"{self.event_code} {self.name}"
