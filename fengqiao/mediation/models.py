"""The mediator pool (调解资源库), case teams (一案一组团), sessions and joint meetings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.org.models import Unit


class MediatorKind(models.TextChoices):
    PEOPLE = "people", _("人民调解员")
    LAWYER = "lawyer", _("律师")
    POLICE = "police", _("民警")
    JUDGE = "judge", _("法官")
    PROSECUTOR = "prosecutor", _("检察官")
    SAGE = "sage", _("乡贤")
    CADRE = "cadre", _("村干部")
    PSYCHOLOGIST = "psychologist", _("心理咨询师")
    RETIRED = "retired", _("退休干部")
    DEPUTY = "deputy", _("人大代表")


class Mediator(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=16, choices=MediatorKind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediator",
        verbose_name=_("系统账号"),
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="mediators", verbose_name=_("所属单位/区域"))
    specialties = models.JSONField(_("擅长类型"), default=list, blank=True, help_text=_("纠纷类型代码列表"))
    dialects = models.JSONField(_("方言"), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(_("同时承办上限"), default=5)
    active_cases = models.PositiveSmallIntegerField(_("在办案件数"), default=0)
    cases_total = models.PositiveIntegerField(_("累计调解"), default=0)
    cases_success = models.PositiveIntegerField(_("成功调解"), default=0)
    rating = models.FloatField(_("群众评价"), default=0)
    available = models.BooleanField(_("可接案"), default=True)

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        indexes = [models.Index(fields=["kind", "available"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def success_rate(self) -> float:
        return self.cases_success / self.cases_total if self.cases_total else 0.0


class TeamMember(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="team", verbose_name=_("案件"))
    mediator = models.ForeignKey(
        Mediator, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("调解员")
    )
    is_lead = models.BooleanField(_("首席调解员"), default=False)
    reason = models.CharField(_("入选理由"), max_length=200, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        unique_together = [("case", "mediator")]
        ordering = ["-is_lead", "added_at"]
        verbose_name = _("调解团队成员")
        verbose_name_plural = _("调解团队成员")


class SessionOutcome(models.TextChoices):
    ONGOING = "ongoing", _("继续调解")
    AGREED = "agreed", _("达成一致")
    FAILED = "failed", _("调解不成")


class MediationSession(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sessions", verbose_name=_("案件"))
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    online_url = models.URLField(_("线上会商链接"), blank=True)
    participants = models.TextField(_("参加人员"), max_length=1000, blank=True)
    notes = models.TextField(_("调解记录"), max_length=5000, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=SessionOutcome.choices, default=SessionOutcome.ONGOING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["held_at"]
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")


class JointMeeting(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="meetings", verbose_name=_("案件"))
    held_at = models.DateTimeField(_("会议时间"))
    attendees = models.TextField(_("参会单位及人员"), max_length=2000)
    minutes = models.TextField(_("会议纪要"), max_length=5000)
    decisions = models.TextField(_("议定事项"), max_length=3000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["held_at"]
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")


# The agreement, session and return-visit models live in their own modules (files stay small);
# importing them here registers them with the app.
from fengqiao.mediation.agreement_models import (  # noqa: E402
    Agreement,
    AgreementStatus,
    AgreementTemplate,
    CourtStatus,
    Decision,
    Signature,
)
from fengqiao.mediation.plan_models import PlanStatus, SessionPlan, VisitPlan, VisitStatus  # noqa: E402

__all__ = [
    "Agreement",
    "AgreementStatus",
    "AgreementTemplate",
    "CourtStatus",
    "Decision",
    "JointMeeting",
    "MediationSession",
    "Mediator",
    "MediatorKind",
    "PlanStatus",
    "SessionOutcome",
    "SessionPlan",
    "Signature",
    "TeamMember",
    "VisitPlan",
    "VisitStatus",
]
from fengqiao.mediation.desk_models import CannedReply, DifficultCase, DifficultReview, DifficultStatus  # noqa: E402

__all__ += ["CannedReply", "DifficultCase", "DifficultReview", "DifficultStatus"]
