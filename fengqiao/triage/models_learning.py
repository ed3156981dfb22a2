"""What triage learns over time (issue 20): its events and the routing-rule changes administrators accept.

Kept apart from :mod:`fengqiao.triage.models` (imported there) so each file stays small."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SuggestionKind(models.TextChoices):
    OWNER = "owner", _("改变责任单位")
    NEW_RULE = "new_rule", _("新增更具体的规则")


class SuggestionStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已采纳")
    DISMISSED = "dismissed", _("已驳回")


class RuleSuggestion(models.Model):
    """A suggested routing-rule change that an administrator accepted or dismissed, with its evidence."""

    rule = models.ForeignKey(
        "triage.RoutingRule", null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("分流规则")
    )
    rule_name = models.CharField(_("规则名称"), max_length=80)
    kind = models.CharField(_("建议类型"), max_length=10, choices=SuggestionKind.choices)
    target = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("建议责任单位"))
    category = models.ForeignKey(
        "cases.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("纠纷类型")
    )
    routed = models.PositiveIntegerField(_("规则分流案件数"), default=0)
    overridden = models.PositiveIntegerField(_("被改派次数"), default=0)
    toward = models.PositiveIntegerField(_("改派至建议单位次数"), default=0)
    evidence = models.JSONField(_("依据"), default=dict, blank=True)
    status = models.CharField(_("处理结果"), max_length=10, choices=SuggestionStatus.choices)
    reason = models.TextField(_("说明"), blank=True, max_length=2000)
    created_rule = models.ForeignKey(
        "triage.RoutingRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("新建规则"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("处理人")
    )
    decided_at = models.DateTimeField(_("处理时间"), default=timezone.now)

    class Meta:
        verbose_name = _("分流规则调整建议")
        verbose_name_plural = _("分流规则调整建议")
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.rule_name} → {self.target_id}"


class LearningEvent(models.Model):
    """One step of what triage learned: a retraining, a promotion, a rollback, a rule change."""

    code = models.CharField(_("事件"), max_length=40, db_index=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    actor_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        "triage.ClassifierVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    suggestion = models.ForeignKey(RuleSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("说明"), blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("学习事件")
        verbose_name_plural = _("学习事件")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.code} @ {self.at:%Y-%m-%d %H:%M}"
