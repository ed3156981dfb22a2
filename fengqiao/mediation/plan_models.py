"""What is planned ahead: mediation sessions (安排调解, in the future, distinct from the held
sessions recorded afterwards) and return visits (回访) due after a case ends."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已举行")
    CANCELLED = "cancelled", _("已取消")


class SessionPlan(models.Model):
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="session_plans", verbose_name=_("案件")
    )
    starts_at = models.DateTimeField(_("调解时间"), db_index=True)
    place = models.CharField(_("地点"), max_length=120, blank=True)
    online_url = models.URLField(_("线上调解室链接"), blank=True)
    note = models.CharField(_("给当事人的提示"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.SCHEDULED)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("调解安排")
        verbose_name_plural = _("调解安排")
        indexes = [models.Index(fields=["status", "starts_at"], name="sessionplan_status_start")]


class VisitStatus(models.TextChoices):
    DUE = "due", _("待回访")
    DONE = "done", _("已回访")
    CANCELLED = "cancelled", _("已取消")


class VisitPlan(models.Model):
    """A return visit due ``days`` after the case ended (resolved or referred). Scheduled by policy
    when the case ends; done when a 回访 is recorded on the case after it became due-able."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="visit_plans", verbose_name=_("案件"))
    days = models.PositiveSmallIntegerField(_("结案后天数"))
    ended_at = models.DateTimeField(_("结案时间"))
    due_at = models.DateTimeField(_("应回访时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.DUE)
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("回访计划")
        verbose_name_plural = _("回访计划")
        constraints = [models.UniqueConstraint(fields=["case", "ended_at", "days"], name="visitplan_once")]
        indexes = [models.Index(fields=["status", "due_at"], name="visitplan_status_due")]
