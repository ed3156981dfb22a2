"""External systems that send cases in (12345 hotline, police, court, petition, others) and what they
leave behind: accepted request nonces, one inbound record per case, category mappings, and the
pre-litigation (诉前调解) record of a court referral."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import EncryptedTextField


class SystemKind(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    POLICE = "police", _("公安警情平台")
    COURT = "court", _("法院诉调平台")
    PETITION = "petition", _("信访系统")
    OTHER = "other", _("其他系统")


# The case channel a system's cases arrive by.
CHANNEL_FOR_KIND = {
    SystemKind.HOTLINE: "hotline",
    SystemKind.POLICE: "police",
    SystemKind.COURT: "court",
    SystemKind.PETITION: "petition",
    SystemKind.OTHER: "api",
}


def new_key_id() -> str:
    return "fq_" + secrets.token_hex(10)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class ExternalSystem(models.Model):
    """One connected system and its credentials. Requests carry ``key_id`` and are signed with
    ``secret`` (HMAC-SHA256); status changes go back to ``webhook_url`` signed with the same secret."""

    code = models.SlugField(_("系统代码"), max_length=40, unique=True, help_text=_("写入案件的来源系统字段"))
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=12, choices=SystemKind.choices)
    key_id = models.CharField(_("API Key"), max_length=40, unique=True, default=new_key_id)
    secret = EncryptedTextField(_("签名密钥"), default=new_secret)
    field_map = models.JSONField(
        _("字段映射"),
        default=dict,
        blank=True,
        help_text=_('案件字段 → 对方字段名，例如 {"external_ref": "gdbh", "description": "nr"}；未列出的字段用标准名'),
    )
    webhook_url = models.URLField(_("状态回传地址"), blank=True)
    open311 = models.BooleanField(_("可用作 Open311 api_key"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("对接系统")
        verbose_name_plural = _("对接系统")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def channel(self) -> str:
        return CHANNEL_FOR_KIND.get(SystemKind(self.kind), "api")


class CategoryMapping(models.Model):
    """A system's own category (原始类别) → the county's taxonomy. Unmapped categories fall back to
    triage (the classifier), and the original is kept on the inbound record."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="category_mappings")
    external_code = models.CharField(_("对方类别"), max_length=60)
    category = models.ForeignKey(
        "cases.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("纠纷类型")
    )
    domain = models.ForeignKey(
        "cases.Domain", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("业务领域")
    )

    class Meta:
        verbose_name = _("类别映射")
        verbose_name_plural = _("类别映射")
        constraints = [models.UniqueConstraint(fields=["system", "external_code"], name="channels_mapping_once")]

    def __str__(self) -> str:
        return f"{self.external_code} → {self.category or self.domain}"


class InboundNonce(models.Model):
    """One row per accepted signed request: the unique constraint refuses a replayed nonce in any
    process. Rows older than the timestamp window are useless and purged."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "nonce"], name="channels_nonce_once")]


class InboundRecord(models.Model):
    """What a system sent for one case: its reference, its original category, and when."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="records")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="inbound")
    external_ref = models.CharField(_("外部编号"), max_length=80)
    original_category = models.CharField(_("原始类别"), max_length=60, blank=True)
    mapped = models.BooleanField(_("类别已映射"), default=False)
    duplicates = models.PositiveIntegerField(_("重复推送次数"), default=0)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("接入记录")
        verbose_name_plural = _("接入记录")
        indexes = [models.Index(fields=["system", "received_at"], name="channels_record_sys_at")]


class PrelitOutcome(models.TextChoices):
    OPEN = "open", _("调解中")
    SUCCESS = "success", _("调解成功（申请司法确认）")
    FAILED = "failed", _("调解不成（退回法院速裁）")
    CLOSED = "closed", _("其他方式结束")


class PreLitigation(models.Model):
    """A court referral (诉前调解): the court to report to, its case number, the 30-day clock (one
    extension by consent) and the outcome sent back to the court."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="prelitigation")
    court = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="+", verbose_name=_("法院"))
    court_ref = models.CharField(_("法院立案前编号"), max_length=80)
    opened_at = models.DateTimeField(_("委派时间"), default=timezone.now)
    outcome = models.CharField(_("结果"), max_length=8, choices=PrelitOutcome.choices, default=PrelitOutcome.OPEN)
    concluded_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("诉前调解")
        verbose_name_plural = _("诉前调解")
