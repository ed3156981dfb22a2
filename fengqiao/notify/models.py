"""Staff inbox notifications, created from case events by a background task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
