"""Resource points an administrator imports for the map, and the record of every geometry import.

Boundaries themselves live on :class:`fengqiao.org.models.Unit` (``boundary``, GeoJSON in WGS-84);
an import rewrites them through :mod:`fengqiao.atlas.actions`, which leaves one ``GeoImport`` row
(what was read, the validation report, what was applied) and one audit row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.org.models import Unit


class ResourceKind(models.TextChoices):
    MEDIATOR_BASE = "mediator_base", _("调解员工作室")
    MEDIATION_ROOM = "mediation_room", _("调解室")
    CENTRE = "centre", _("综治中心")
    OTHER = "other", _("其他资源")


class ImportKind(models.TextChoices):
    BOUNDARIES = "boundaries", _("区划网格边界")
    RESOURCES = "resources", _("资源点位")


class ResourcePoint(models.Model):
    kind = models.CharField(_("类别"), max_length=16, choices=ResourceKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("所属单位")
    )
    unit_path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    lat = models.FloatField(_("纬度（WGS-84）"))
    lon = models.FloatField(_("经度（WGS-84）"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source = models.ForeignKey(
        "GeoImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="points", verbose_name=_("导入批次")
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("资源点位")
        verbose_name_plural = _("资源点位")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.unit_path = self.unit.path if self.unit_id and self.unit else ""
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class GeoImport(models.Model):
    """One run of ``load-geo`` / ``load-resources``: the file, its datum, the report, the outcome."""

    kind = models.CharField(_("类别"), max_length=16, choices=ImportKind.choices)
    file_name = models.CharField(_("文件"), max_length=255)
    crs = models.CharField(_("坐标系"), max_length=8, default="wgs84")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    applied = models.BooleanField(_("已写入"), default=False)
    features = models.PositiveIntegerField(_("要素数"), default=0)
    matched = models.PositiveIntegerField(_("匹配数"), default=0)
    report = models.JSONField(_("校验报告"), default=dict)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("地理数据导入")
        verbose_name_plural = _("地理数据导入")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"


from fengqiao.atlas.models_rollup import CaseDayStat, CaseMonthGrid, CaseMonthMix, CaseMonthStat, RollupMonth  # noqa: E402,F401
