"""Leaders' instructions (批示) and followed cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Instruction(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="instructions", verbose_name=_("案件")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="instructions_written",
        verbose_name=_("批示人"),
    )
    text = models.TextField(_("批示内容"), max_length=2000)
    created_at = models.DateTimeField(_("批示时间"), default=timezone.now)
    answer = models.TextField(_("办理回复"), max_length=4000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("回复人"),
    )
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        indexes = [models.Index(fields=["case", "answered_at"])]

    def __str__(self) -> str:
        return self.text[:30]


class Follow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="follow_once")]
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
