"""Append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One audited happening: a change, a login, a permission change, a personal-data reveal.

    Rows form a chain: ``hash`` covers the row's content and ``prev_hash``. A row is written pending
    (no ``seq``, sealed on its own); the chain step (:func:`fengqiao.core.audit.chain_pending`)
    assigns ``seq`` under a lock on :class:`AuditHead`, so it has no gaps; ``fengqiao audit-verify``
    walks it.
    """

    seq = models.BigIntegerField(_("序号"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("用户"),
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=40, blank=True)
    unit_id = models.BigIntegerField(_("单位"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True, db_index=True)
    result = models.CharField(_("结果"), max_length=16, default="ok")
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # HMAC of ``hash`` under FENGQIAO_AUDIT_KEY (never stored in the database): anyone can recompute
    # the hash chain, only the key holder can seal it (fengqiao.core.audit.row_seal).
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        # The chain step reads the pending rows in insertion order every second: a small partial index,
        # not a walk over the chained millions.
        indexes = [models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="core_audit_pending")]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("audit entries are append-only")


class AuditHead(models.Model):
    """Singleton row: the chain's last sequence number and hash; locked to append."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_mac = models.CharField(max_length=64, blank=True, default="")  # seal of (last_seq, last_hash)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
