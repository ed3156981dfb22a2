"""Key areas (重点区域) and key domains (重点领域): more cases than history predicts.

Counts are taken in 7-day bins ending now. The expected count of the current bin is an exponentially
weighted mean of the previous bins (EWMA); the surprise is the Poisson upper tail (scipy.stats) of the
current count under that mean. The domain model also corrects the mean by the season: the count of the
same weeks one year earlier against that year's surrounding weeks."""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections import defaultdict
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from scipy.stats import poisson

from fengqiao.cases.models import Case
from fengqiao.early_warning.detectors.base import Detector, Finding, Param, register
from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched

WEEK = dt.timedelta(days=7)


def ewma(values: list[float], alpha: float) -> float:
    """Exponentially weighted mean, most recent value first in ``values``."""
    if not values:
        return 0.0
    weights = (1 - alpha) ** np.arange(len(values))
    return float(np.dot(weights, values) / weights.sum())


def surprise(count: int, expected: float) -> float:
    """P(X ≥ count) for X ~ Poisson(expected)."""
    return float(poisson.sf(count - 1, max(expected, 0.05)))


class SurgeDetector(Detector):
    params = {
        "baseline_weeks": Param(8, _("基线周数"), 3, 52),
        "alpha": Param(0.3, _("平滑系数"), 0.05, 1.0, kind="float"),
        "p_value": Param(0.001, _("显著性水平"), 0.000001, 0.1, kind="float"),
        "min_cases": Param(5, _("本周最少件数"), 1, 1000),
    }
    thresholds = {"blue": 2, "yellow": 3, "orange": 5, "red": 8}

    def lookback_days(self, params: dict[str, Any]) -> int:
        return 7 * (int(params["baseline_weeks"]) + 1) + 1

    def series(self, snap: Snapshot, scope: str, weeks: int) -> dict[Any, list[int]]:
        """Weekly counts per series (bin 0 = the last 7 days), from the snapshot's SQL aggregate."""
        out: dict[Any, list[int]] = {}
        for (area, cat1), counts in snap.week_counts(scope, weeks).items():
            if not cat1:
                continue
            k = self.series_key_of(area, cat1)
            acc = out.setdefault(k, [0] * (weeks + 1))
            for b, n in enumerate(counts):
                acc[b] += n
        return out

    @abstractmethod
    def series_key_of(self, area: int, cat1: str) -> Any:
        """The series a case of this area and level-1 type counts in (area × type, or type)."""

    def test(self, counts: list[int], params: dict[str, Any], season: float = 1.0) -> tuple[int, float, float]:
        now = counts[0]
        history = [float(n) for n in counts[1 : params["baseline_weeks"] + 1]]
        expected = ewma(history, params["alpha"]) * season
        return now, expected, surprise(now, expected)


@register
class AreaSurge(SurgeDetector):
    """重点区域：某乡镇某类纠纷近 7 天的件数显著高于其历史基线（前若干周的指数加权均值，泊松检验 p 值低于
    显著性水平，且不少于最少件数）。分值为实际件数与预期件数之比。"""

    code = "area_surge"
    name = _("重点区域异常增多")
    kind = "area"

    def series_key_of(self, area: int, cat1: str) -> Any:
        return (area, cat1)

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or (subject.get("area"), subject.get("type")) in touched.area_types

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        series = self.series(snap, scope, params["baseline_weeks"])
        keys = [k for k, v in series.items() if v[0]]
        if touched is not None:
            keys = [k for k in keys if k in touched.area_types]
        out = []
        for key in sorted(keys):
            now, expected, p = self.test(series[key], params)
            if now < params["min_cases"] or p >= params["p_value"]:
                continue
            area, cat1 = key
            ratio = now / max(expected, 0.5)
            text = _t(
                "%(area)s近7天受理%(type)s纠纷%(n)s件，按前%(w)s周基线预期约%(e).1f件，为预期的%(r).1f倍"
                "（泊松检验p=%(p).2g）。"
            ) % {
                "area": snap.town_name(area) or _t("本辖区"),
                "type": snap.type_name.get(cat1, cat1),
                "n": now,
                "w": params["baseline_weeks"],
                "e": expected,
                "r": ratio,
                "p": p,
            }
            current = snap.current_cases(scope, area, cat1)
            cases = [c for c, _ in current]
            out.append(
                Finding(
                    key=f"a:{area}:{cat1}",
                    score=round(ratio, 2),
                    unit_id=area or snap.root_id,
                    title=_t("重点区域：%(area)s%(type)s纠纷增多")
                    % {"area": snap.town_name(area), "type": snap.type_name.get(cat1, cat1)},
                    explanation=text,
                    case_ids=cases,
                    figures={"count": now, "expected": round(expected, 2), "p_value": p},
                    subject={"area": area, "type": cat1},
                    signal_at=current[0][1],
                )
            )
        return out


@register
class DomainSurge(SurgeDetector):
    """重点领域：某一类纠纷在全辖区近 7 天的件数显著高于季节性基线（前若干周的指数加权均值 × 去年同期的季节
    系数，泊松检验）。分值为实际与预期之比。"""

    code = "domain_surge"
    name = _("重点领域异常增多")
    kind = "domain"
    params = {**SurgeDetector.params, "min_cases": Param(10, _("本周最少件数"), 1, 10000)}

    def series_key_of(self, area: int, cat1: str) -> Any:
        return cat1

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or subject.get("type") in touched.types

    def seasons(self, snap: Snapshot) -> dict[str, float]:
        """Per type: (same 7 days a year ago + 1) / (mean of the 8 surrounding weeks a year ago + 1)."""
        year = dt.timedelta(days=364)
        start = snap.now - year - WEEK
        same = self._counts(start, start + WEEK)
        around = self._counts(start - 4 * WEEK, start + 5 * WEEK)
        if not around:
            return {}
        return {k: (same.get(k, 0) + 1) / (around.get(k, 0) / 9 + 1) for k in around}

    @staticmethod
    def _counts(a: dt.datetime, b: dt.datetime) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for parent, code, n in (
            Case.objects.filter(created_at__gte=a, created_at__lt=b)
            .values_list("category__parent__code", "category__code")
            .annotate(n=Count("id"))
        ):
            out[parent or code] += n
        return out

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        series = self.series(snap, scope, params["baseline_weeks"])
        keys = [k for k, v in series.items() if v[0]]
        if touched is not None:
            keys = [k for k in keys if k in touched.types]
        season = self.seasons(snap) if keys else {}
        out = []
        for cat1 in sorted(keys):
            factor = season.get(cat1, 1.0)
            now, expected, p = self.test(series[cat1], params, factor)
            if now < params["min_cases"] or p >= params["p_value"]:
                continue
            ratio = now / max(expected, 0.5)
            text = _t(
                "全辖区近7天受理%(type)s纠纷%(n)s件，季节性基线预期约%(e).1f件（季节系数%(s).2f），为预期的%(r).1f倍"
                "（泊松检验p=%(p).2g）。"
            ) % {"type": snap.type_name.get(cat1, cat1), "n": now, "e": expected, "s": factor, "r": ratio, "p": p}
            current = snap.current_cases(scope, None, cat1)
            cases = [c for c, _ in current]
            out.append(
                Finding(
                    key=f"d:{cat1}",
                    score=round(ratio, 2),
                    unit_id=snap.root_id,
                    title=_t("重点领域：%(type)s纠纷增多") % {"type": snap.type_name.get(cat1, cat1)},
                    explanation=text,
                    case_ids=cases,
                    figures={"count": now, "expected": round(expected, 2), "season": round(factor, 2), "p_value": p},
                    subject={"type": cat1},
                    signal_at=current[0][1],
                )
            )
        return out
