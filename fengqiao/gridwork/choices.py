from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    HOUSEHOLD = "household", _("住户")
    PARTY = "party", _("当事人")
    KEY_PERSON = "key_person", _("重点人员")
    BUSINESS = "business", _("商户（单位）")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("待走访")
    DONE = "done", _("已走访")
    CANCELLED = "cancelled", _("已取消")


class Outcome(models.TextChoices):
    NORMAL = "normal", _("情况正常")
    FOLLOW_UP = "follow_up", _("需跟进")
    RESOLVED = "resolved", _("当场化解")
    REPORTED = "reported", _("已上报案件")
    NOT_HOME = "not_home", _("未遇到人")


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", _("直接送达")
    RELATIVE = "relative", _("同住成年家属代收")
    LEFT = "left", _("留置送达")


class DocumentKind(models.TextChoices):
    NOTICE = "notice", _("告知书")
    AGREEMENT = "agreement", _("调解协议书")
    SUMMONS = "summons", _("调解通知书")
    REPLY = "reply", _("答复意见书")
    OTHER = "other", _("其他文书")
