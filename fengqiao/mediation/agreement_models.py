"""The 人民调解协议书 of every mediated case: the template administrators edit, the versioned
agreement of a case, each party's confirmation (or refusal) by phone, and the court's 司法确认."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import EncryptedTextField


class AgreementTemplate(models.Model):
    """The wording of the agreement; placeholders in double braces are filled from the case and the
    mediator's draft (see :data:`fengqiao.mediation.agreements.PLACEHOLDERS`). Saving a changed
    body raises the version; an agreement records the version it was written from."""

    name = models.CharField(_("名称"), max_length=60, default="人民调解协议书")
    body = models.TextField(_("协议书正文模板"), max_length=8000)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-is_active", "-updated_at"]
        verbose_name = _("调解协议书模板")
        verbose_name_plural = _("调解协议书模板")

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            old = AgreementTemplate.objects.filter(pk=self.pk).values_list("body", flat=True).first()
            if old is not None and old != self.body:
                self.version += 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from fengqiao.mediation.agreements import template_errors

        errors = template_errors(self.body)
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError({"body": errors})


class AgreementStatus(models.TextChoices):
    SIGNING = "signing", _("待当事人确认")
    CONFIRMED = "confirmed", _("各方已确认")
    REFUSED = "refused", _("有当事人拒绝")
    SUPERSEDED = "superseded", _("已被新版本取代")


class CourtStatus(models.TextChoices):
    NONE = "", _("未申请司法确认")
    APPLIED = "applied", _("已申请司法确认")
    CONFIRMED = "confirmed", _("法院裁定确认有效")
    REJECTED = "rejected", _("法院裁定不予确认")


class Agreement(models.Model):
    """One version of a case's agreement. The full text the parties see is stored (encrypted) as it
    was rendered, with its SHA-256; once every party confirmed, the PDF is stored as a case
    attachment and its SHA-256 is written on the case timeline (the seal)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="agreements", verbose_name=_("案件"))
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.SIGNING
    )
    template_version = models.PositiveIntegerField(_("模板版本"), default=1)
    facts = EncryptedTextField(_("纠纷主要事实、争议事项"))
    responsibilities = EncryptedTextField(_("各方当事人的责任"), blank=True, default="")
    obligations = EncryptedTextField(_("协议内容（JSON）"), default="[]")
    performance = EncryptedTextField(_("履行方式"), blank=True, default="")
    organisation = models.CharField(_("调解组织"), max_length=120)
    text = EncryptedTextField(_("协议书全文"))
    text_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("拟定人")
    )
    created_at = models.DateTimeField(_("拟定时间"), default=timezone.now)
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True)
    pdf = models.ForeignKey(
        "cases.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("PDF")
    )
    pdf_sha256 = models.CharField(_("PDF 哈希"), max_length=64, blank=True)
    court_status = models.CharField(_("司法确认"), max_length=10, choices=CourtStatus.choices, blank=True, default="")
    court_name = models.CharField(_("受理法院"), max_length=120, blank=True)
    court_ref = models.CharField(_("法院案号"), max_length=80, blank=True)
    court_reason = models.TextField(_("裁定理由"), max_length=2000, blank=True)
    court_applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    court_ruled_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)

    class Meta:
        ordering = ["case", "-version"]
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="agreement_case_version")]

    def __str__(self) -> str:
        return f"{self.case.display_code} 第{self.version}版"


class Decision(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REFUSED = "refused", _("拒绝")


def _token() -> str:
    return secrets.token_urlsafe(24)


class Signature(models.Model):
    """One party's answer to one agreement version, reached by a private link sent by SMS and proved
    by an SMS code to the party's phone on record. Time, the phone's keyed hash and the hash of the
    exact text shown are kept."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("调解协议")
    )
    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="+", verbose_name=_("当事人"))
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    decision = models.CharField(_("确认结果"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reason = models.TextField(_("拒绝理由"), max_length=1000, blank=True)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    text_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["agreement", "pk"]
        verbose_name = _("当事人确认")
        verbose_name_plural = _("当事人确认")
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="signature_once_per_party")]
