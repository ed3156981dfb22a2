"""Handlers' desk tools: difficult cases (疑难案件) reviewed on a schedule, and canned replies (常用语)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DifficultStatus(models.TextChoices):
    OPEN = "open", _("跟踪中")
    CLOSED = "closed", _("已销号")


class DifficultCase(models.Model):
    """A case marked difficult, with its reason; reviewed every ``review_days`` until it is closed
    (by hand, or when the case ends for good)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="difficult", verbose_name=_("案件"))
    reason = models.TextField(_("疑难原因"), max_length=1000)
    review_days = models.PositiveSmallIntegerField(_("复核周期（天）"), default=7)
    next_review_at = models.DateTimeField(_("下次复核"), db_index=True)
    status = models.CharField(_("状态"), max_length=8, choices=DifficultStatus.choices, default=DifficultStatus.OPEN)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    flagged_at = models.DateTimeField(_("标记时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    class Meta:
        ordering = ["next_review_at", "pk"]
        verbose_name = _("疑难案件")
        verbose_name_plural = _("疑难案件")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="open"), name="difficult_one_open_per_case"
            )
        ]


class DifficultReview(models.Model):
    difficult = models.ForeignKey(DifficultCase, on_delete=models.CASCADE, related_name="reviews")
    note = models.TextField(_("复核情况"), max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("疑难案件复核")
        verbose_name_plural = _("疑难案件复核")


class CannedReply(models.Model):
    """A text module for notes and public replies, per unit (and its subtree) and per dispute type.
    Placeholders: {code} {title} {unit} {handler} {date}."""

    title = models.CharField(_("名称"), max_length=40)
    text = models.TextField(_("内容"), max_length=1000)
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("适用单位"),
        help_text=_("留空则全县通用；选定单位则对该单位及下级可用。"),
    )
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("适用纠纷类型"),
        help_text=_("留空则各类型通用；选一级类型时其下的二级类型也可用。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort", "pk"]
        verbose_name = _("常用语")
        verbose_name_plural = _("常用语")

    def __str__(self) -> str:
        return self.title
