"""Triage data the county edits or the platform learns: classifier versions, training labels, the risk lexicon."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import DocumentJSONField


class TriageTask(models.TextChoices):
    TYPE = "type", _("纠纷类型")
    DOMAIN = "domain", _("诉求领域")


class VersionOrigin(models.TextChoices):
    SHIPPED = "shipped", _("内置")
    MANUAL = "manual", _("人工训练")
    SCHEDULED = "scheduled", _("定时重训")


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
    # Learning (issue 20): where a version came from, what it was measured on, who promoted it.
    origin = models.CharField(_("来源"), max_length=10, choices=VersionOrigin.choices, default=VersionOrigin.MANUAL)
    data_until = models.DateTimeField(_("训练标签截至"), null=True, blank=True)
    holdout = models.JSONField(_("留出集评估"), default=dict, blank=True)
    decision = models.TextField(_("晋升结论"), blank=True)
    promoted_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("启用人"),
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("被替换的版本"),
        help_text=_("启用本版本时停用的版本（回滚目标）"),
    )

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


# ---------------------------------------------------------------------------------------------
# Routing, stored triage results and near-duplicate signatures (helper T2).


class RoutingRule(models.Model):
    """One routing rule: conditions → owner unit, level, deadline policy. Ordered; the first active rule
    whose conditions all hold wins. Empty conditions match anything."""

    position = models.PositiveIntegerField(_("顺序"), default=100, db_index=True, help_text=_("小的先匹配"))
    name = models.CharField(_("名称"), max_length=80)
    is_active = models.BooleanField(_("启用"), default=True)
    category = models.ForeignKey(
        "cases.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("纠纷类型"),
        help_text=_("一级类型包含其下全部二级类型"),
    )
    domain = models.ForeignKey(
        "cases.Domain", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("诉求领域")
    )
    location = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("属地范围"),
        help_text=_("该单位及其下级区域"),
    )
    channel = models.CharField(_("来源渠道"), max_length=16, blank=True)
    min_risk = models.CharField(
        _("风险不低于"),
        max_length=8,
        blank=True,
        choices=[("medium", _("中")), ("high", _("高"))],
    )
    hour_from = models.PositiveSmallIntegerField(_("时段起（时）"), null=True, blank=True)
    hour_to = models.PositiveSmallIntegerField(
        _("时段止（时）"), null=True, blank=True, help_text=_("不含；起大于止表示跨夜，如 18–8")
    )
    owner_unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任单位"),
        help_text=_("留空且勾选“交属地”时交给属地乡镇综治中心"),
    )
    owner_local = models.BooleanField(_("交属地乡镇综治中心"), default=False)
    level = models.PositiveSmallIntegerField(
        _("响应等级"), null=True, blank=True, help_text=_("留空按责任单位层级确定")
    )
    deadline_policy = models.ForeignKey(
        "supervision.DeadlinePolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("时限规则"),
    )
    is_fallback = models.BooleanField(_("兜底规则"), default=False, help_text=_("无其他规则命中时使用"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分流规则")
        verbose_name_plural = _("分流规则")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TriageResult(models.Model):
    """The latest triage of a case: what was predicted, found and decided, and why."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="triage", verbose_name=_("案件"), primary_key=True
    )
    ran_at = models.DateTimeField(_("分流时间"), default=timezone.now)
    elapsed_ms = models.FloatField(_("耗时（毫秒）"), default=0)
    type_top = models.JSONField(_("类型候选"), default=list, blank=True)
    domain_top = models.JSONField(_("领域候选"), default=list, blank=True)
    confident = models.BooleanField(_("置信"), default=False)
    location = models.JSONField(_("地址解析"), default=dict, blank=True)
    located = models.BooleanField(_("已定位"), default=False)
    routing = models.JSONField(_("分流结果"), default=dict, blank=True)
    explanation = models.TextField(_("分流说明"), blank=True)
    risk = models.JSONField(_("风险评估"), default=dict, blank=True)
    duplicates = models.JSONField(_("疑似重复"), default=list, blank=True)
    group = models.JSONField(_("疑似群体性"), default=dict, blank=True)
    team = DocumentJSONField(_("推荐团队"), default=list, blank=True)
    needs_review = models.BooleanField(_("待人工确认"), default=False, db_index=True)
    review_reasons = models.JSONField(_("待确认原因"), default=list, blank=True)
    reviewed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("分流结果")
        verbose_name_plural = _("分流结果")
        indexes = [models.Index(fields=["needs_review", "ran_at"], name="triage_review_queue")]

    def __str__(self) -> str:
        return f"triage {self.case_id}"


class TextSignature(models.Model):
    """MinHash LSH band keys of a case's text, one indexed column per band, so every web process
    queries the same index (no per-process in-memory LSH). ``minhash`` keeps the 32 hash values
    (uint32, little-endian) to estimate the similarity of candidates."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+", primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)
    minhash = models.BinaryField(editable=False)
    b0 = models.BigIntegerField()
    b1 = models.BigIntegerField()
    b2 = models.BigIntegerField()
    b3 = models.BigIntegerField()
    b4 = models.BigIntegerField()
    b5 = models.BigIntegerField()
    b6 = models.BigIntegerField()
    b7 = models.BigIntegerField()

    class Meta:
        verbose_name = _("文本指纹")
        verbose_name_plural = _("文本指纹")
        # (band key, time): each band's lookup reads only the newest rows of a bucket, so a
        # boilerplate-heavy bucket of thousands of texts costs no more than a small one.
        indexes = [models.Index(fields=[f"b{i}", "-created_at"], name=f"sig_b{i}_recent") for i in range(8)]


from fengqiao.triage.models_learning import LearningEvent, RuleSuggestion, SuggestionKind, SuggestionStatus  # noqa: E402

__all__ = [
    "ClassifierVersion",
    "LabelSource",
    "LearningEvent",
    "RiskCategory",
    "RiskTerm",
    "RoutingRule",
    "RuleSuggestion",
    "SuggestionKind",
    "SuggestionStatus",
    "TextSignature",
    "TrainingLabel",
    "TriageResult",
    "TriageTask",
    "VersionOrigin",
]
