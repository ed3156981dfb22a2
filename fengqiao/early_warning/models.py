"""Warnings (预警) raised by warning models, their handling loop, work notices and class problems."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    BLUE = 1, _("蓝色预警")
    YELLOW = 2, _("黄色预警")
    ORANGE = 3, _("橙色预警")
    RED = 4, _("红色预警")


LEVEL_KEYS = {"blue": Level.BLUE, "yellow": Level.YELLOW, "orange": Level.ORANGE, "red": Level.RED}


class Kind(models.TextChoices):
    PERSON = "person", _("重点人员")
    NETWORK = "network", _("重点群体")
    ISSUE = "issue", _("重点事项")
    AREA = "area", _("重点区域")
    DOMAIN = "domain", _("重点领域")
    CRIME = "crime", _("民转刑风险")
    PERIOD = "period", _("敏感时期")
    UNIT = "unit", _("单位办理")


class Status(models.TextChoices):
    ISSUED = "issued", _("已发布")
    ASSIGNED = "assigned", _("已交办")
    VERIFIED = "verified", _("已核实")
    DISMISSED = "dismissed", _("已排除")
    MEASURES = "measures", _("已落实措施")
    CLOSED = "closed", _("已办结")


OPEN_STATUSES = (Status.ISSUED, Status.ASSIGNED, Status.VERIFIED, Status.MEASURES)


class WarningModel(models.Model):
    """One built-in warning model as data: an administrator enables it and tunes its parameters,
    its level thresholds and the unit whose subtree it watches."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    enabled = models.BooleanField(_("启用"), default=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    thresholds = models.JSONField(
        _("分级阈值"), default=dict, blank=True, help_text=_("蓝、黄、橙、红四级的起点分值，须递增")
    )
    scope_unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("监测范围"),
        help_text=_("留空为全辖区"),
    )
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("预警模型")
        verbose_name_plural = _("预警模型")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from fengqiao.early_warning.detectors import registry

        detector = registry.get(self.code)
        if detector is None:
            raise ValidationError({"code": _("没有这个内置模型。")})
        errors = detector.validate(self.params or {}, self.thresholds or {})
        if errors:
            raise ValidationError(errors)


class SensitivePeriod(models.Model):
    """A date range with raised sensitivity: warnings raised in it go up by ``raise_by`` levels."""

    name = models.CharField(_("名称"), max_length=60)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    raise_by = models.PositiveSmallIntegerField(_("提升级数"), default=1)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("敏感时期")
        verbose_name_plural = _("敏感时期")

    def __str__(self) -> str:
        return f"{self.name}（{self.start}—{self.end}）"

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("结束日期不能早于开始日期。")})


class Warning(models.Model):
    model = models.ForeignKey(WarningModel, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("模型"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, db_index=True)
    level = models.PositiveSmallIntegerField(_("预警等级"), choices=Level.choices, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    explanation = models.TextField(_("研判说明"), max_length=4000)
    evidence = models.JSONField(_("证据"), default=dict)
    case_ids = models.JSONField(default=list)
    subject = models.JSONField(default=dict, editable=False)  # keyed hashes / ids; never shown
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    score = models.FloatField(_("分值"), default=0)
    owner_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位"))
    owner_path = models.CharField(max_length=255, db_index=True, editable=False)
    assignee_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办单位")
    )
    assignee_path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    signal_at = models.DateTimeField(_("信号开始"), null=True, blank=True)
    raised_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("最近研判"), default=timezone.now)
    due_at = models.DateTimeField(_("本环节时限"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(_("催办时间"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("升级次数"), default=0)
    verification = models.TextField(_("核实情况"), blank=True, max_length=4000)
    dismiss_reason = models.TextField(_("排除理由"), blank=True, max_length=2000)
    measures = models.TextField(_("处置措施"), blank=True, max_length=4000)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-level", "-raised_at", "-id"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(status__in=["issued", "assigned", "verified", "measures"]),
                name="warning_one_open_per_fingerprint",
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="warning_status_due")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.owner_path = self.owner_unit.path
        self.assignee_path = self.assignee_unit.path if self.assignee_unit_id and self.assignee_unit else ""
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class WorkNotice(models.Model):
    """工作提示: a notice issued from a warning to units, each of which acknowledges it."""

    warning = models.ForeignKey(
        Warning, null=True, blank=True, on_delete=models.CASCADE, related_name="notices", verbose_name=_("预警")
    )
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("提示内容"), max_length=4000)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("发布单位"))
    issued_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("工作提示")
        verbose_name_plural = _("工作提示")

    def __str__(self) -> str:
        return self.title


class NoticeRecipient(models.Model):
    notice = models.ForeignKey(WorkNotice, on_delete=models.CASCADE, related_name="recipients")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("接收单位"))
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply = models.TextField(_("落实情况"), blank=True, max_length=2000)

    class Meta:
        unique_together = [("notice", "unit")]
        verbose_name = _("工作提示接收单位")
        verbose_name_plural = _("工作提示接收单位")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("研究中")
    CLOSED = "closed", _("已办结")


class ClassProblem(models.Model):
    """每月一题: a class of similar cases taken up as one problem with a lead unit, tracked to a
    policy change."""

    title = models.CharField(_("题目"), max_length=100)
    description = models.TextField(_("问题描述"), max_length=4000)
    lead_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("牵头单位"))
    lead_path = models.CharField(max_length=255, db_index=True, editable=False)
    cases = models.ManyToManyField("cases.Case", related_name="+", verbose_name=_("关联案件"))
    status = models.CharField(_("状态"), max_length=8, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    progress = models.TextField(_("推进情况"), blank=True, max_length=4000)
    policy_change = models.TextField(_("制度成果"), blank=True, max_length=4000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("立题时间"), default=timezone.now)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("每月一题")
        verbose_name_plural = _("每月一题")

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.lead_path = self.lead_unit.path
        super().save(*args, **kwargs)


class WarningEvent(models.Model):
    """One step of a warning's (or a notice's, or a class problem's) life; labels rendered from ``code``."""

    warning = models.ForeignKey(Warning, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    notice = models.ForeignKey(WorkNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    problem = models.ForeignKey(ClassProblem, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(_("事件"), max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20, blank=True)
    actor_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status_before = models.CharField(max_length=10, blank=True)
    status_after = models.CharField(max_length=10, blank=True)
    reason = models.TextField(_("说明"), blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("预警事件")
        verbose_name_plural = _("预警事件")


class RunState(models.Model):
    """The engine's watermark: the last case seen, and when the last full run happened."""

    key = models.CharField(max_length=20, unique=True, default="engine")
    last_case_id = models.BigIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
