from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    QR = "qr", _("民生码")
    WEB = "web", _("网页")
    WALK_IN = "walk_in", _("来访")
    PHONE = "phone", _("来电")
    GRID = "grid", _("网格员上报")
    HOTLINE = "hotline", _("12345热线")
    POLICE = "police", _("警纷同步")
    COURT = "court", _("诉调对接")
    PETITION = "petition", _("访调对接")
    IMPORT = "import", _("台账导入")
    API = "api", _("系统接口")
    OPEN311 = "open311", _("Open311")


class Priority(models.IntegerChoices):
    LOW = 1, _("低")
    NORMAL = 2, _("普通")
    HIGH = 3, _("高")
    URGENT = 4, _("紧急")


class Risk(models.TextChoices):
    LOW = "low", _("低风险")
    MEDIUM = "medium", _("中风险")
    HIGH = "high", _("高风险")


class Level(models.IntegerChoices):
    """Response level (004): follows the tier that handles the case."""

    BLUE = 1, _("蓝色（网格村社）")
    YELLOW = 2, _("黄色（乡镇）")
    ORANGE = 3, _("橙色（多部门）")
    RED = 4, _("红色（县级专班）")


class Colour(models.TextChoices):
    GREEN = "green", _("绿码")
    YELLOW = "yellow", _("黄码")
    RED = "red", _("红码")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD = "third", _("第三人")


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORG = "org", _("组织")


class Referral(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    ADMINISTRATIVE = "administrative", _("行政途径")
    PETITION = "petition", _("信访途径")
    OTHER = "other", _("其他")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class AttachmentKind(models.TextChoices):
    EVIDENCE = "evidence", _("证据材料")
    AGREEMENT = "agreement", _("调解协议")
    MINUTES = "minutes", _("会议纪要")
    RECORD = "record", _("调解笔录")
    OTHER = "other", _("其他")
