"""The rollup tables the screens and the statistics page read instead of scanning every case
(docs/scaling.md): counts per month and per day, rebuilt month by month from the cases (so a
month's rows always equal a direct GROUP BY at the time of the refresh), and the refresh state
of each month (dirty when a case of it changed, when it was last rebuilt)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Basis(models.TextChoices):
    REGISTERED = "reg", _("按登记时间")
    ENDED = "end", _("按办结时间")


class _Counts(models.Model):
    """The sums every rate needs. ``reg`` rows (by registration): n, handled (办结 or still open),
    ended (办结), rated, satisfied. ``end`` rows (by 办结 time): n (办结), resolved (化解, no
    referral), resolved_local (化解 at village/town level), rated, satisfied."""

    basis = models.CharField(max_length=3, choices=Basis.choices)
    owner_unit_id = models.BigIntegerField()
    town_id = models.BigIntegerField(null=True)  # the town the case happened in (None: county level or no place)
    n = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    ended = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_local = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseMonthStat(_Counts):
    """Per month × owner unit × town × first-level type × channel × current state."""

    month = models.DateField(_("月份"))
    category_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["month", "basis"], name="atlas_monthstat_month")]


class CaseDayStat(_Counts):
    """Per day × owner unit × town: the screens' today / month / year figures and trend lines."""

    day = models.DateField(_("日期"))

    class Meta:
        indexes = [models.Index(fields=["day", "basis"], name="atlas_daystat_day")]


class CaseMonthMix(models.Model):
    """Per month × first-level type × channel (registered cases): the screens' year breakdowns,
    a few hundred rows a month whatever the volume."""

    month = models.DateField(_("月份"))
    category_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=16)
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="atlas_monthmix_month")]


class CaseMonthGrid(models.Model):
    """Per month × grid (where it happened) × stored colour × response level (registered cases):
    the map's town / village / grid layers for whole months."""

    month = models.DateField(_("月份"))
    location_unit_id = models.BigIntegerField()
    colour = models.CharField(max_length=8)
    level = models.SmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["month"], name="atlas_monthgrid_month")]


class RollupMonth(models.Model):
    """One month's refresh state: ``dirty`` once a case registered or ended in it changed."""

    month = models.DateField(_("月份"), unique=True)
    dirty = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField(_("更新时间"), null=True)


# --- per town: what a town's screen reads (docs/scaling.md) ---------------------------------------
# A town's scope counts the cases its units own, receive (pending) or lead. Each case is counted once
# for every town among those three units' towns (usually one), so a town's rows sum exactly to its
# scope's cases, whoever owns them.


class CaseTownDay(models.Model):
    """Per day × basis × town in whose scope the case is: a town screen's figures and trend."""

    day = models.DateField(_("日期"))
    basis = models.CharField(max_length=3, choices=Basis.choices)
    town_id = models.BigIntegerField()
    n = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    ended = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_local = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["town_id", "day"], name="atlas_townday_town")]


class CaseTownMix(models.Model):
    """Per month × town (scope) × first-level type × channel (registered cases): the by-type and
    by-channel breakdowns of a town's screen."""

    month = models.DateField(_("月份"))
    town_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=16)
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["town_id", "month"], name="atlas_townmix_town")]


class CaseTownPlace(models.Model):
    """Per month × town (scope) × where it happened (registered cases): the by-place breakdown."""

    month = models.DateField(_("月份"))
    town_id = models.BigIntegerField()
    location_unit_id = models.BigIntegerField(null=True)
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["town_id", "month"], name="atlas_townplace_town")]


class CaseTownStat(models.Model):
    """Per month × town (scope) × owner unit × town where it happened × first-level type × channel ×
    current state (registered cases): a town leader's cross-tab, as CaseMonthStat is the county's."""

    month = models.DateField(_("月份"))
    scope_town_id = models.BigIntegerField()
    owner_unit_id = models.BigIntegerField()
    town_id = models.BigIntegerField(null=True)
    category_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16)
    n = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    ended = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["scope_town_id", "month"], name="atlas_townstat_town")]
