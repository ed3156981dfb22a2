"""Triage data the county edits or the platform learns: classifier versions, training labels, the risk lexicon."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TriageTask(models.TextChoices):
    TYPE = "type", _("纠纷类型")
    DOMAIN = "domain", _("诉求领域")


class ClassifierVersion(models.Model):
    """A trained model file; one version per task is active (switchable in admin)."""

    task = models.CharField(_("分类任务"), max_length=8, choices=TriageTask.choices)
    version = models.CharField(_("版本"), max_length=64)
    path = models.CharField(_("模型文件"), max_length=300, help_text=_("相对于 FENGQIAO_MODEL_DIR 或绝对路径"))
    is_active = models.BooleanField(_("启用"), default=False)
    trained_at = models.DateTimeField(_("训练时间"), default=timezone.now)
    samples = models.PositiveIntegerField(_("样本数"), default=0)
    data_sha256 = models.CharField(_("训练数据指纹"), max_length=64, blank=True)
    sources = models.JSONField(_("数据来源"), default=list, blank=True)
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("分类模型版本")
        verbose_name_plural = _("分类模型版本")
        ordering = ["task", "-trained_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="classifier_task_version"),
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(is_active=True), name="classifier_one_active_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_task_display()} {self.version}"


class LabelSource(models.TextChoices):
    CORRECTION = "correction", _("人工纠正")
    CONFIRMATION = "confirmation", _("人工确认")
    IMPORT = "import", _("历史导入")


class TrainingLabel(models.Model):
    """A text with its right label: every dispatcher correction (or confirmation) becomes one."""

    task = models.CharField(_("分类任务"), max_length=8, choices=TriageTask.choices)
    text = models.TextField(_("文本"), max_length=5100)
    label = models.CharField(_("标签"), max_length=16, help_text=_("类型或领域代码"))
    predicted = models.CharField(_("模型预测"), max_length=16, blank=True)
    score = models.FloatField(_("预测置信度"), null=True, blank=True)
    model_version = models.CharField(_("模型版本"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=LabelSource.choices, default=LabelSource.CORRECTION)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("案件")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("训练标签")
        verbose_name_plural = _("训练标签")
        indexes = [models.Index(fields=["task", "created_at"], name="label_task_created")]

    def __str__(self) -> str:
        return f"{self.task}:{self.label}"


class RiskCategory(models.TextChoices):
    SELF_HARM = "self_harm", _("自伤自杀")
    VIOLENCE = "violence", _("暴力威胁")
    GATHERING = "gathering", _("聚集堵路")
    PETITION = "petition", _("越级上访")
    WAGES = "wages", _("欠薪讨薪")
    EXTREME = "extreme", _("极端情绪")
    VULNERABLE = "vulnerable", _("弱势群体")
    OTHER = "other", _("其他")


class RiskTerm(models.Model):
    """One phrase of the project's dispute-risk lexicon (matched with Aho-Corasick)."""

    phrase = models.CharField(_("词语"), max_length=40, unique=True)
    category = models.CharField(_("风险类别"), max_length=12, choices=RiskCategory.choices)
    weight = models.PositiveSmallIntegerField(_("权重"), default=10, help_text=_("0–100，越高风险越大"))
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("风险词")
        verbose_name_plural = _("风险词库")
        ordering = ["category", "phrase"]

    def __str__(self) -> str:
        return self.phrase
