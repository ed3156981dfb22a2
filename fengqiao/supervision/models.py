"""Supervision: deadline policies, the holiday calendar, leaders' instructions (批示), followed cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（放假）")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a public holiday or a make-up working day (调休)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=40)
    provisional = models.BooleanField(_("暂定"), default=False, help_text=_("国务院通知发布前按法定假日暂定"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")

    def __str__(self) -> str:
        return f"{self.date} {self.name}（{self.get_kind_display()}）"


class DayUnit(models.TextChoices):
    CALENDAR = "calendar", _("自然日")
    WORKING = "working", _("工作日")


class DeadlinePolicy(models.Model):
    """Deadlines by type, level and channel. The most specific active policy that matches applies
    (category level 2 > level 1 > any; then channel; then level; then ``priority``)."""

    name = models.CharField(_("名称"), max_length=60)
    category = models.ForeignKey(
        "cases.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("纠纷类型")
    )
    level = models.PositiveSmallIntegerField(_("响应等级"), null=True, blank=True)
    channel = models.CharField(_("来源渠道"), max_length=16, blank=True)
    unit = models.CharField(_("计时方式"), max_length=8, choices=DayUnit.choices, default=DayUnit.CALENDAR)
    accept_hours = models.PositiveIntegerField(_("受理时限（小时）"), default=24)
    contact_hours = models.PositiveIntegerField(_("首次联系时限（小时）"), default=72)
    complete_days = models.PositiveIntegerField(_("办结时限（天）"), default=15)
    yellow_after_days = models.PositiveIntegerField(_("转黄码（天）"), default=7)
    red_after_days = models.PositiveIntegerField(_("转红码（天）"), default=14)
    extendable_days = models.PositiveIntegerField(_("可延长（天，一次）"), default=0)
    priority = models.IntegerField(_("优先顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")

    def __str__(self) -> str:
        return self.name


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
    reminded_at = models.DateTimeField(_("催办时间"), null=True, blank=True)

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


class AccountabilityKind(models.TextChoices):
    UNREGISTERED = "unregistered", _("应录未录")
    UNMEDIATED = "unmediated", _("应调未调")
    BUCK_PASSING = "buck_passing", _("推诿扯皮")
    REPEAT_OVERDUE_PERSON = "overdue_person", _("个人多次超期")
    REPEAT_OVERDUE_UNIT = "overdue_unit", _("单位多次超期")


class RecordStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    CHECKING = "checking", _("倒查中")
    CONCLUDED = "concluded", _("已结论")


class AccountabilityRecord(models.Model):
    """A detected accountability problem with the events that prove it (``evidence``)."""

    kind = models.CharField(_("类型"), max_length=16, choices=AccountabilityKind.choices, db_index=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("案件")
    )
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_records",
        verbose_name=_("责任人"),
    )
    summary = models.CharField(_("情况"), max_length=300)
    evidence = models.JSONField(_("证据"), default=dict)
    dedup_key = models.CharField(max_length=120, unique=True)
    detected_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.OPEN)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("问责线索")
        verbose_name_plural = _("问责线索")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.summary}"


class ReverseCheck(models.Model):
    """倒查: a supervisor's check of a record, with its conclusion, kept on the person's file."""

    record = models.ForeignKey(AccountabilityRecord, on_delete=models.CASCADE, related_name="checks")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("倒查人")
    )
    opened_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    conclusion = models.TextField(_("倒查结论"), max_length=4000, blank=True)
    responsible = models.BooleanField(_("认定责任"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("结论时间"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("倒查")
        verbose_name_plural = _("倒查")
