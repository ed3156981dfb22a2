"""Grid work: patrols with their check-ins, visits to households and parties, documents delivered
(送达) and the events that record every change. Each row carries its grid's ``grid_path`` so that
scoping is one index range per grant (fengqiao.gridwork.policy)."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core import crypto
from fengqiao.core.fields import EncryptedTextField
from fengqiao.gridwork.choices import DeliveryMethod, DocumentKind, Outcome, SubjectKind, VisitStatus


def photo_path(instance: object, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"gridwork/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{ext}"


class Patrol(models.Model):
    """One patrol (巡查) of a grid by its worker: started, check-ins along the way, stopped."""

    grid = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    grid_path = models.CharField(max_length=255, db_index=True, editable=False)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_id = models.CharField(max_length=64, unique=True, help_text=_("手机端生成，重复提交不重复建档"))
    started_at = models.DateTimeField(_("开始时间"), db_index=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    note = models.TextField(_("巡查小结"), blank=True, max_length=2000)
    checkin_count = models.PositiveIntegerField(_("签到点数"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        indexes = [models.Index(fields=["grid_path", "started_at"], name="patrol_grid_started")]

    def __str__(self) -> str:
        return f"{self.grid} · {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CheckIn(models.Model):
    """A point on a patrol: where (when the phone allowed it), when, an optional note and photo."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="checkins")
    client_id = models.CharField(max_length=64)
    at = models.DateTimeField(_("时间"))
    received_at = models.DateTimeField(default=timezone.now)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    accuracy = models.FloatField(_("精度（米）"), null=True, blank=True)
    note = models.TextField(_("情况记录"), blank=True, max_length=2000)
    photo = models.FileField(_("照片"), upload_to=photo_path, max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("巡查签到")
        verbose_name_plural = _("巡查签到")
        constraints = [models.UniqueConstraint(fields=["patrol", "client_id"], name="checkin_once")]

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


class Visit(models.Model):
    """A visit (走访) to a household or a party: planned with a due date, then done with an outcome."""

    grid = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    grid_path = models.CharField(max_length=255, db_index=True, editable=False)
    subject_kind = models.CharField(_("对象类别"), max_length=12, choices=SubjectKind.choices)
    subject_name = EncryptedTextField(_("走访对象"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("关联案件")
    )
    purpose = models.CharField(_("走访事由"), max_length=200)
    due_date = models.DateField(_("应走访日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED, db_index=True
    )
    planned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    planned_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("走访时间"), null=True, blank=True)
    outcome = models.CharField(_("走访结果"), max_length=10, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("走访情况"), blank=True, max_length=2000)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    photo = models.FileField(_("照片"), upload_to=photo_path, max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")

    def __str__(self) -> str:
        return f"{self.get_subject_kind_display()} {self.masked_name} · {self.purpose}"

    @property
    def masked_name(self) -> str:
        return crypto.mask_name(self.subject_name) if self.subject_kind != SubjectKind.BUSINESS else self.subject_name

    def is_overdue(self, today: object = None) -> bool:
        today = today or timezone.localdate()
        return self.status == VisitStatus.PLANNED and self.due_date < today  # type: ignore[operator]


class Delivery(models.Model):
    """A document delivered (送达) to a party of a case, with the party's confirmation."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("案件"))
    grid = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    grid_path = models.CharField(max_length=255, db_index=True, editable=False)
    document_kind = models.CharField(_("文书类别"), max_length=10, choices=DocumentKind.choices)
    document_title = models.CharField(_("文书名称"), max_length=100)
    recipient_name = EncryptedTextField(_("受送达人"))
    method = models.CharField(_("送达方式"), max_length=10, choices=DeliveryMethod.choices)
    confirmed = models.BooleanField(_("受送达人已签收确认"), default=False)
    confirmation = models.CharField(_("签收情况"), max_length=200, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"))
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    photo = models.FileField(_("送达回证照片"), upload_to=photo_path, max_length=200, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name = _("文书送达")
        verbose_name_plural = _("文书送达")

    def __str__(self) -> str:
        return f"{self.document_title} → {self.masked_recipient}"

    @property
    def masked_recipient(self) -> str:
        return crypto.mask_name(self.recipient_name)


class GridEvent(models.Model):
    """One step of grid work (patrol started, check-in, visit planned/done, report, delivery)."""

    code = models.CharField(_("事件"), max_length=40, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_role = models.CharField(max_length=20, blank=True)
    grid = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    grid_path = models.CharField(max_length=255, db_index=True)
    patrol = models.ForeignKey(Patrol, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("网格工作事件")
        verbose_name_plural = _("网格工作事件")


# The volunteer models live beside these (one app, models split by responsibility).
from fengqiao.gridwork.models_volunteer import (  # noqa: E402
    Activity,
    PointsEntry,
    Redemption,
    Reward,
    SignUp,
    Volunteer,
)

__all__ = [
    "Activity",
    "CheckIn",
    "Delivery",
    "GridEvent",
    "Patrol",
    "PointsEntry",
    "Redemption",
    "Reward",
    "SignUp",
    "Visit",
    "Volunteer",
]
