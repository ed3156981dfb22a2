"""Evaluation (考评反馈): external figures, the 矛调指数 tree and its stored scores, 挂牌督办,
加星事项, the points rules and their append-only ledger, monthly reports, and the app's own events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.org.models import Unit


class FigureKind(models.TextChoices):
    POPULATION = "population", _("常住人口（人）")
    LAWSUITS = "lawsuits", _("一审民事行政案件（件）")
    VISITS = "visits", _("四级走访（人次）")


class ExternalFigure(models.Model):
    """A figure the platform does not record itself, entered or imported per unit and period:
    population per year (``2026``), first-instance lawsuits and 四级走访 per month (``2026-11``)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    kind = models.CharField(_("指标"), max_length=12, choices=FigureKind.choices)
    period = models.CharField(_("期间"), max_length=7, help_text=_("人口按年（2026），诉讼和走访按月（2026-11）"))
    value = models.PositiveIntegerField(_("数值"))
    source = models.CharField(_("来源"), max_length=40, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        unique_together = [("unit", "kind", "period")]
        ordering = ["kind", "period", "unit__path"]
        verbose_name = _("外部数据")
        verbose_name_plural = _("外部数据")

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()} {self.period}: {self.value}"


class IndexTree(models.Model):
    name = models.CharField(_("名称"), max_length=60)
    is_active = models.BooleanField(_("启用"), default=True)
    shrink_k = models.FloatField(
        _("小样本收缩权重 k"), default=10.0, help_text=_("比率向全县均值收缩，相当于 k 件全县平均水平的案件")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("矛调指数指标体系")
        verbose_name_plural = _("矛调指数指标体系")

    def __str__(self) -> str:
        return self.name


class NodeKind(models.TextChoices):
    DIMENSION = "dimension", _("维度")
    INDICATOR = "indicator", _("指标")
    METRIC = "metric", _("计算指标")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Normalisation(models.TextChoices):
    RATE = "rate", _("比率直接折算（0–100）")
    MINMAX = "minmax", _("参评单位间极差标准化")


class IndexNode(models.Model):
    tree = models.ForeignKey(IndexTree, on_delete=models.CASCADE, related_name="nodes", verbose_name=_("指标体系"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("上级")
    )
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("层级"), max_length=10, choices=NodeKind.choices)
    metric = models.CharField(_("计算口径"), max_length=40, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    normalisation = models.CharField(
        _("标准化"), max_length=8, choices=Normalisation.choices, default=Normalisation.RATE
    )
    weight = models.FloatField(_("权重"))
    proposed = models.BooleanField(_("本平台建议"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        unique_together = [("tree", "code")]
        ordering = ["sort", "pk"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")

    def __str__(self) -> str:
        return self.name


class IndexScore(models.Model):
    """A stored 矛调指数 of one unit and period (the ranking pages read these; ``computed_at`` says how
    fresh they are)."""

    tree = models.ForeignKey(IndexTree, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("期间"), max_length=24)
    kind = models.CharField(_("参评类别"), max_length=12)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    score = models.FloatField(_("得分"), null=True)
    rank = models.PositiveIntegerField(_("排名"), null=True)
    volume = models.PositiveIntegerField(_("案件量"), default=0)
    detail = models.JSONField(default=dict)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        unique_together = [("tree", "period", "kind", "unit")]
        ordering = ["rank"]
        verbose_name = _("矛调指数得分")
        verbose_name_plural = _("矛调指数得分")


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("督办中")
    CLOSED = "closed", _("已销号")


class UnitSupervision(models.Model):
    """挂牌督办: a leader marks a lagging unit, with a reason and a deadline, until it is closed."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位"))
    period = models.CharField(_("考评期间"), max_length=24, blank=True)
    reason = models.TextField(_("督办事由"), max_length=2000)
    deadline = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"), max_length=8, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("挂牌人")
    )
    opened_at = models.DateTimeField(_("挂牌时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    conclusion = models.TextField(_("销号意见"), max_length=2000, blank=True)

    class Meta:
        ordering = ["status", "-opened_at"]
        verbose_name = _("挂牌督办")
        verbose_name_plural = _("挂牌督办")

    def __str__(self) -> str:
        return f"{self.unit} {self.get_status_display()}"

    @property
    def overdue(self) -> bool:
        return self.status == SupervisionStatus.OPEN and timezone.localdate() > self.deadline


class StarMark(models.Model):
    """加星事项: an exemplary case marked by a leader, shown in the scrolling strip."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("案件"))
    reason = models.CharField(_("加星理由"), max_length=200)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("加星人")
    )
    marked_at = models.DateTimeField(_("加星时间"), default=timezone.now)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["-marked_at"]
        verbose_name = _("加星事项")
        verbose_name_plural = _("加星事项")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(active=True), name="star_one_active_per_case")
        ]


class EvalEvent(models.Model):
    """The app's own event log: external figures entered, index recomputed, supervision opened /
    followed up / closed, stars, ledger rebuilt, reports generated (before/after kept raw)."""

    code = models.CharField(_("事件"), max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supervision = models.ForeignKey(
        UnitSupervision, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    star = models.ForeignKey(StarMark, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    text = models.TextField(blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("考评事件")
        verbose_name_plural = _("考评事件")


class Beneficiary(models.TextChoices):
    CADRE = "cadre", _("干部（承办人）")
    MEDIATOR = "mediator", _("调解员")


class PointsRule(models.Model):
    """One way to earn (or lose) points. ``trigger`` names the event that earns them."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    trigger = models.CharField(_("触发"), max_length=20)
    beneficiary = models.CharField(_("对象"), max_length=10, choices=Beneficiary.choices)
    points = models.IntegerField(_("分值"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return self.name


class PointsEntry(models.Model):
    """One line of the append-only ledger. ``source`` names the event that earned it
    (``case_event:123`` or ``star:5``); (rule, source, person) is unique, so deriving twice adds nothing."""

    # The references are written by the derivation's joins (points.py), so the database does not check
    # them again row by row: at millions of entries a foreign-key check locks every referenced case
    # row (FOR KEY SHARE) and doubled a rebuild's time. Django still applies PROTECT / CASCADE on delete.
    # Indexed: the unique key (its first column is the rule), the time (rankings by period), the case.
    rule = models.ForeignKey(
        PointsRule,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("规则"),
        db_constraint=False,
        db_index=False,
    )
    source = models.CharField(_("来源事件"), max_length=40)
    person = models.CharField(max_length=24)  # "u:<user id>" or "m:<mediator id>"
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    mediator = models.ForeignKey(
        "mediation.Mediator",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    points = models.IntegerField(_("积分"))
    earned_at = models.DateTimeField(_("获得时间"), db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["earned_at", "pk"]
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        constraints = [models.UniqueConstraint(fields=["rule", "source", "person"], name="points_once_per_event")]


class Report(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    period = models.CharField(_("期间"), max_length=24)
    docx = models.FileField(_("Word"), upload_to="evaluation/reports/", max_length=200)
    pdf = models.FileField(_("PDF"), upload_to="evaluation/reports/", max_length=200)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        ordering = ["-generated_at"]
        verbose_name = _("月度报告")
        verbose_name_plural = _("月度报告")


class SumBuild(models.Model):
    """One build of a period's per-unit metric sums (:mod:`fengqiao.evaluation.sums`): the index reads
    these instead of loading the period's cases. ``as_of`` is the ``now`` it was built for; a build
    whose ``as_of`` is past the period's end stays valid until a case change marks it ``dirty``."""

    period = models.CharField(_("期间"), max_length=24, unique=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    as_of = models.DateTimeField()
    built_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    dirty = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["start", "end"], name="eval_sumbuild_range")]
        verbose_name = _("指标汇总")
        verbose_name_plural = _("指标汇总")


class MetricSum(models.Model):
    """A metric's numerator and denominator over the cases of one attribution path (owner or place,
    as the metric counts) in one build. A unit's figure is the sum over the paths in its subtree.
    ``avg_days``'s numerator is in microseconds (exact integer sums)."""

    build = models.ForeignKey(SumBuild, on_delete=models.CASCADE, related_name="sums")
    metric = models.CharField(max_length=40)
    path = models.CharField(max_length=255)
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["build", "metric"], name="eval_metricsum_build")]
