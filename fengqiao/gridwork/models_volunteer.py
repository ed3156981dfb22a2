"""Volunteers (平安志愿): citizens registered by phone in a village, activities a unit publishes,
sign-ups with check-in/out and hours, an append-only points ledger (道德积分) and a redemption
catalogue per village (道德超市) with stock."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core import crypto
from fengqiao.core.fields import EncryptedTextField


class Volunteer(models.Model):
    village = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在村（社区）")
    )
    village_path = models.CharField(max_length=255, db_index=True, editable=False)
    name = EncryptedTextField(_("姓名"))
    phone = EncryptedTextField(_("手机号"))
    phone_hash = models.CharField(max_length=64, unique=True, editable=False)
    joined_at = models.DateTimeField(default=timezone.now)
    # Empty when the citizen joined on the portal with their verified phone.
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")

    def __str__(self) -> str:
        return crypto.mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return crypto.mask_phone(self.phone)


class Activity(models.Model):
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("发布单位"))
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    title = models.CharField(_("活动名称"), max_length=100)
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("人数上限"))
    points_per_hour = models.PositiveIntegerField(_("每小时积分"), default=10)
    signed_up = models.PositiveIntegerField(_("已报名"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("志愿活动")
        verbose_name_plural = _("志愿活动")

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.signed_up)

    @property
    def state(self) -> str:
        """已取消 / 已结束 / 进行中 / 报名中 (a label for the pages)."""
        now = timezone.now()
        if self.cancelled_at:
            return str(_("已取消"))
        if self.ends_at <= now:
            return str(_("已结束"))
        if self.starts_at <= now:
            return str(_("进行中"))
        return str(_("报名中"))

    @property
    def open_for_signup(self) -> bool:
        return self.cancelled_at is None and self.ends_at > timezone.now() and self.signed_up < self.capacity


class SignUp(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups")
    signed_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"), default=0)
    cancelled_at = models.DateTimeField(_("取消报名时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [models.UniqueConstraint(fields=["activity", "volunteer"], name="signup_once")]

    @property
    def hours(self) -> str:
        return f"{self.minutes / 60:.1f}"


class PointsEntry(models.Model):
    """One line of the points ledger. Append-only: never updated or deleted; the balance is the sum.
    ``source`` ("signup:12", "redeem:5") is unique, so crediting the same thing twice is impossible."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="points")
    delta = models.IntegerField(_("积分变动"))
    source = models.CharField(max_length=40, unique=True)
    reason = models.CharField(_("事由"), max_length=200)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("积分流水只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("积分流水只能追加，不能删除。")


class Reward(models.Model):
    village = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("村（社区）"))
    village_path = models.CharField(max_length=255, db_index=True, editable=False)
    name = models.CharField(_("物品"), max_length=60)
    cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"))

    class Meta:
        verbose_name = _("道德超市物品")
        verbose_name_plural = _("道德超市物品")
        constraints = [models.CheckConstraint(condition=models.Q(stock__gte=0), name="reward_stock_not_negative")]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    REQUESTED = "requested", _("待领取")
    DONE = "done", _("已领取")
    CANCELLED = "cancelled", _("已撤销")


class Redemption(models.Model):
    """A redemption holds the points and the item from the moment it is asked for (on the portal, or
    by staff at the counter); staff confirm the hand-over, or cancel it (points and stock come back)."""

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="redemptions")
    cost = models.PositiveIntegerField(_("所需积分"))
    at = models.DateTimeField(_("兑换时间"), default=timezone.now)
    # Empty when the volunteer asked on the portal.
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=12, choices=RedemptionStatus.choices, default=RedemptionStatus.DONE, db_index=True
    )
    settled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
