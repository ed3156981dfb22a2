"""The organisation tree, standard addresses, staff accounts and their roles per unit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import EncryptedTextField
from fengqiao.org.choices import UNIT_TIER, Role, UnitKind

#: Sent with ``units=[Unit, ...]`` after units moved in the tree (their ``path`` changed).
units_moved = Signal()


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree_of(self, unit: Unit) -> UnitQuerySet:
        from fengqiao.org.paths import subtree_q

        return self.filter(subtree_q("path", unit.path))

    def towns(self) -> UnitQuerySet:
        return self.filter(kind=UnitKind.TOWN)


class Unit(models.Model):
    """A node of the organisation tree. ``path`` is the materialised chain of ids ("/1/5/23/")."""

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=UnitKind.choices, db_index=True)
    code = models.CharField(_("代码"), max_length=32, unique=True, help_text=_("统计用区划代码或内部编码"))
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    allows_anonymous = models.BooleanField(_("允许匿名反映"), default=False)
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        indexes = [models.Index(fields=["parent", "kind"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id and self.parent else "/"
        path = f"{parent_path}{self.pk}/"
        if path != self.path:
            old = self.path
            self.path = path
            self.depth = path.count("/") - 2
            Unit.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old:  # moved: rewrite the subtree's paths
                moved = [self]
                for child in Unit.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    child.path = path + child.path[len(old) :]
                    child.depth = child.path.count("/") - 2
                    Unit.objects.filter(pk=child.pk).update(path=child.path, depth=child.depth)
                    moved.append(child)
                # Later floors keep their denormalised paths in step (cases: owner_path, ...).
                units_moved.send(sender=Unit, units=moved)

    @property
    def tier(self) -> int:
        return UNIT_TIER.get(UnitKind(self.kind), 3)

    def ancestors(self, include_self: bool = True) -> list[Unit]:
        ids = [int(x) for x in self.path.strip("/").split("/") if x]
        if not include_self:
            ids = ids[:-1]
        by_id = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
        return [by_id[i] for i in ids if i in by_id]

    def ancestor_of_kind(self, *kinds: str) -> Unit | None:
        for unit in reversed(self.ancestors()):
            if unit.kind in kinds:
                return unit
        return None

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)


class StandardAddress(models.Model):
    """标准地址: a normalised address that belongs to a grid."""

    grid = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="addresses", verbose_name=_("网格"))
    full_text = models.CharField(_("标准地址"), max_length=200, db_index=True)
    road = models.CharField(_("路（街、巷）"), max_length=80, blank=True)
    number = models.CharField(_("门牌号"), max_length=40, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")

    def __str__(self) -> str:
        return self.full_text


class User(AbstractUser):
    """A staff account. Citizens do not have accounts: they are identified by a verified phone."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("所在单位"),
    )
    mobile = EncryptedTextField(_("手机号"), blank=True, default="")
    title = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self) -> str:
        return self.display_name or self.username

    def role_grants(self) -> list[RoleAssignment]:
        cached: list[RoleAssignment] | None = getattr(self, "_role_grants", None)
        if cached is None:
            cached = list(self.role_assignments.select_related("unit").filter(unit__is_active=True))
            self._role_grants = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.role_grants())


class RoleAssignment(models.Model):
    """A role held by a user in a unit; the unit's subtree is the scope of that role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("人员"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("user", "unit", "role")]
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.unit}"
