"""Knowledge base (articles and their versions), the public case library, the log of unanswered
questions and legal aid applications. Every change goes through :mod:`fengqiao.knowledge.actions`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case, Category, Domain
from fengqiao.knowledge.choices import AidMatter, ArticleKind, ArticleState, Audience, ExemplaryState


class ArticleQuerySet(models.QuerySet["Article"]):
    def public(self) -> ArticleQuerySet:
        """What a citizen may read: published and public."""
        return self.filter(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)

    def readable_by(self, user: object) -> ArticleQuerySet:
        """Published articles; staff-only ones too for a signed-in staff member."""
        from fengqiao.knowledge.policy import is_staff_reader

        if is_staff_reader(user):
            return self.filter(state=ArticleState.PUBLISHED)
        return self.public()


class Article(models.Model):
    slug = models.SlugField(_("网址名"), max_length=80, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    kind = models.CharField(_("类别"), max_length=8, choices=ArticleKind.choices, default=ArticleKind.FAQ)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"), max_length=20000)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True, help_text=_("用顿号或空格分隔"))
    office = models.CharField(_("办理部门"), max_length=200, blank=True)
    materials = models.TextField(_("所需材料"), max_length=3000, blank=True)
    fees = models.CharField(_("收费标准"), max_length=300, blank=True)
    steps = models.TextField(_("办理流程"), max_length=3000, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("纠纷类型"))
    domains = models.ManyToManyField(Domain, blank=True, related_name="+", verbose_name=_("业务领域"))
    audience = models.CharField(_("公开范围"), max_length=8, choices=Audience.choices, default=Audience.PUBLIC)
    state = models.CharField(_("状态"), max_length=12, choices=ArticleState.choices, default=ArticleState.DRAFT)
    version = models.PositiveIntegerField(_("版本"), default=0)
    review_due = models.DateField(_("复核日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "title"]
        verbose_name = _("知识文章")
        verbose_name_plural = _("知识文章")
        indexes = [models.Index(fields=["state", "audience"])]

    def __str__(self) -> str:
        return self.title

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("、", " ").replace("，", " ").replace(",", " ").split() if k]

    def lines(self, field: str) -> list[str]:
        return [line.strip() for line in getattr(self, field).splitlines() if line.strip()]

    @property
    def materials_lines(self) -> list[str]:
        return self.lines("materials")

    @property
    def steps_lines(self) -> list[str]:
        return self.lines("steps")


class ArticleVersion(models.Model):
    """One saved state of an article (every save makes one; nothing is overwritten)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("标题"), max_length=100)
    kind = models.CharField(_("类别"), max_length=8, choices=ArticleKind.choices)
    audience = models.CharField(_("公开范围"), max_length=8, choices=Audience.choices)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"))
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    office = models.CharField(_("办理部门"), max_length=200, blank=True)
    materials = models.TextField(_("所需材料"), blank=True)
    fees = models.CharField(_("收费标准"), max_length=300, blank=True)
    steps = models.TextField(_("办理流程"), blank=True)
    category_codes = models.JSONField(_("纠纷类型"), default=list)
    domain_codes = models.JSONField(_("业务领域"), default=list)
    review_due = models.DateField(_("复核日期"), null=True, blank=True)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    saved_at = models.DateTimeField(_("保存时间"), default=timezone.now)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-number"]
        unique_together = [("article", "number")]
        verbose_name = _("文章版本")
        verbose_name_plural = _("文章版本")


class ExemplaryCaseQuerySet(models.QuerySet["ExemplaryCase"]):
    def approved(self) -> ExemplaryCaseQuerySet:
        return self.filter(state=ExemplaryState.APPROVED)


class ExemplaryCase(models.Model):
    """A resolved matter written up without personal data, for the public case library."""

    title = models.CharField(_("标题"), max_length=100)
    facts = models.TextField(_("基本情况"), max_length=5000)
    resolution = models.TextField(_("化解过程与结果"), max_length=5000)
    takeaway = models.CharField(_("要点提示"), max_length=500, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("纠纷类型")
    )
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    source_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("来源案件")
    )
    state = models.CharField(_("状态"), max_length=12, choices=ExemplaryState.choices, default=ExemplaryState.DRAFT)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ExemplaryCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-approved_at", "-created_at"]
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")

    def __str__(self) -> str:
        return self.title

    def keyword_list(self) -> list[str]:
        return [k for k in self.keywords.replace("、", " ").replace("，", " ").split() if k]


EVENT_LABELS = {
    "article.create": _("创建"),
    "article.save": _("修改"),
    "article.submit": _("提交审核"),
    "article.return": _("退回修改"),
    "article.publish": _("发布"),
    "article.withdraw": _("撤下"),
    "exemplary.create": _("创建"),
    "exemplary.save": _("修改"),
    "exemplary.approve": _("审核公开"),
    "exemplary.withdraw": _("撤下"),
}


class KnowledgeEvent(models.Model):
    """The life of an article or a library entry (saved, submitted, published, withdrawn, approved)."""

    code = models.CharField(_("事件"), max_length=40)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    exemplary = models.ForeignKey(ExemplaryCase, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    version = models.PositiveIntegerField(default=0)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    reason = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("知识库事件")
        verbose_name_plural = _("知识库事件")
        constraints = [
            models.CheckConstraint(
                condition=Q(article__isnull=False) | Q(exemplary__isnull=False), name="knowledge_event_has_object"
            )
        ]

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.code, _("其他")))


class UnansweredQuestion(models.Model):
    """A question the assistant found no answer to, kept only as anonymised words (no phone, ID
    number, name or address; see :mod:`fengqiao.knowledge.redact`), counted per distinct word set."""

    signature = models.CharField(max_length=64, unique=True)
    words = models.CharField(_("问题用词"), max_length=400)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_at = models.DateTimeField(_("首次"), default=timezone.now)
    last_at = models.DateTimeField(_("最近"), default=timezone.now, db_index=True)
    done = models.BooleanField(_("已处理"), default=False)

    class Meta:
        ordering = ["-last_at"]
        verbose_name = _("未解答问题")
        verbose_name_plural = _("未解答问题")


class LegalAidApplication(models.Model):
    """The legal-aid particulars of a case of type 法律援助申请 (the case holds the story and parties;
    the income statement is one of its attachments)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="legal_aid", verbose_name=_("案件"))
    matter = models.CharField(_("援助事项"), max_length=12, choices=AidMatter.choices)
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    monthly_income = models.DecimalField(_("家庭月收入（元）"), max_digits=10, decimal_places=2)
    hardship = models.CharField(_("困难情形"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("法律援助申请")
        verbose_name_plural = _("法律援助申请")

    @property
    def income_per_person(self) -> float:
        return float(self.monthly_income) / max(self.household_size, 1)


def articles_for_index() -> QuerySet[Article]:
    return Article.objects.filter(state=ArticleState.PUBLISHED).prefetch_related("categories", "domains")
