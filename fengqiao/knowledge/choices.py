"""Choices of the knowledge base: labels in Chinese through gettext, never raw codes on a page."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleKind(models.TextChoices):
    LAW = "law", _("法律知识")
    FAQ = "faq", _("常见问题")
    GUIDE = "guide", _("便民服务指南")


class Audience(models.TextChoices):
    PUBLIC = "public", _("公开")
    STAFF = "staff", _("仅工作人员")


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤下")


class ExemplaryState(models.TextChoices):
    DRAFT = "draft", _("待审核")
    APPROVED = "approved", _("已公开")
    WITHDRAWN = "withdrawn", _("已撤下")


class NextStep(models.TextChoices):
    SELF_HELP = "self_help", _("自行协商")
    VILLAGE = "village", _("村（社区）人民调解")
    DEPARTMENT = "department", _("向主管部门反映")
    ARBITRATION = "arbitration", _("申请仲裁")
    COURT = "court", _("向人民法院起诉")
    LEGAL_AID = "legal_aid", _("申请法律援助")
    EMERGENCY = "emergency", _("立即报警求助")


class AidMatter(models.TextChoices):
    WAGES = "wages", _("追索劳动报酬")
    INJURY = "injury", _("工伤、人身损害赔偿")
    SUPPORT = "support", _("赡养费、抚养费、扶养费")
    TRAFFIC = "traffic", _("交通事故赔偿")
    MEDICAL = "medical", _("医疗损害赔偿")
    DOMESTIC = "domestic", _("家庭暴力、婚姻家庭")
    SOCIAL = "social", _("社会保险、最低生活保障")
    OTHER = "other", _("其他事项")
