"""Key areas (重点区域) and key domains (重点领域): more cases than history predicts.

Counts are taken in 7-day bins ending now (so the weekday mix is the same in every bin), per town ×
level-1 type (area) or per type county-wide (domain). Every series of the model is tested in every
run (:mod:`fengqiao.early_warning.stats`): the expected count is the EWMA of the previous weeks; the
variance is over-dispersed (φ, from the history of all series) and includes the baseline's own
uncertainty; the p-value is the negative-binomial upper tail; the p-values of all series are adjusted
by Benjamini–Hochberg, and a series warns when its adjusted value is at most the false discovery rate,
its count reaches the minimum and exceeds the expected count by the minimum excess. The domain model
also scales the baseline by the season — the same week a year ago against that year's surrounding
weeks — but only when the history reaches back far enough to contain them (else no factor)."""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case
from fengqiao.early_warning import stats
from fengqiao.early_warning.detectors import base
from fengqiao.early_warning.detectors.base import Detector, Finding, Param, register
from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched

WEEK = dt.timedelta(days=7)
SEASON_CLAMP = (0.5, 2.0)


@dataclass(frozen=True)
class Test:
    """The test of one series in one run: the window that decided it (7 days, or the last few days
    when their p-value was the smaller), its count and expected count, p, q and φ."""

    count: int
    expected: float
    p: float
    q: float
    phi: float
    season: float = 1.0
    days: float = 7.0
    week_count: int = 0


class SurgeDetector(Detector):
    params = {
        "baseline_weeks": Param(8, _("基线周数"), 3, 52),
        "alpha": Param(0.3, _("平滑系数"), 0.05, 1.0, kind="float"),
        "fdr": Param(0.01, _("错误发现率（多重检验校正后）"), 0.0001, 0.2, kind="float"),
        "min_cases": Param(5, _("本周最少件数"), 1, 1000),
        "min_excess": Param(3, _("超出预期的最少件数"), 0, 1000),
        "recent_days": Param(3, _("短窗口天数"), 1, 6),
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

    def seasons(self, snap: Snapshot, keys: list[Any]) -> tuple[dict[Any, float], dict[Any, float]]:
        """(factor, relative variance of the factor) per series; none by default."""
        return {}, {}

    def tests(self, snap: Snapshot, params: dict[str, Any], scope: str) -> dict[Any, Test]:
        """Every series of the model tested together (BH over all of them), whether or not the run
        looks at it, so an incremental run decides exactly as a full run would."""
        cache_key = f"surge:{self.code}:{scope}:{sorted(params.items())}"
        if cache_key in snap.cache:
            return snap.cache[cache_key]  # type: ignore[no-any-return]
        series = self.series(snap, scope, params["baseline_weeks"])
        keys = sorted(k for k, v in series.items() if any(v))
        out: dict[Any, Test] = {}
        if keys:
            factor, rel_var = self.seasons(snap, keys)
            season = np.array([factor.get(k, 1.0) for k in keys])
            season_var = np.array([rel_var.get(k, 0.0) for k in keys])
            counts = np.array([series[k] for k in keys], dtype=float)
            days = int(params["recent_days"])
            recent = self.recent(snap, scope, days)
            short = np.array([recent.get(k, 0) for k in keys], dtype=float)
            r = stats.surge_tests(counts, params["alpha"], season, season_var, short, days)
            for i, k in enumerate(keys):
                use_short = r.p_short[i] < r.p_week[i]
                out[k] = Test(
                    count=int(r.short_count[i] if use_short else r.count[i]),
                    expected=float(r.short_expected[i] if use_short else r.expected[i]),
                    p=float(r.p[i]),
                    q=float(r.q[i]),
                    phi=r.phi,
                    season=float(season[i]),
                    days=float(days if use_short else 7),
                    week_count=int(r.count[i]),
                )
        snap.cache[cache_key] = out
        return out

    def recent(self, snap: Snapshot, scope: str, days: int) -> dict[Any, int]:
        out: dict[Any, int] = defaultdict(int)
        for (area, cat1), n in snap.recent_counts(scope, days).items():
            if cat1:
                out[self.series_key_of(area, cat1)] += n
        return out

    def significant(self, t: Test, params: dict[str, Any]) -> bool:
        return (
            t.week_count >= params["min_cases"]
            and t.count - t.expected >= params["min_excess"]
            and t.q <= params["fdr"]
        )


@register
class AreaSurge(SurgeDetector):
    """重点区域：某乡镇某类纠纷近 7 天的件数显著高于其历史基线。基线为前若干周的指数加权均值；方差按全部
    乡镇×类别序列的历史估计过度离散系数，并计入基线本身的不确定性（负二项检验）；全部序列的 p 值经
    Benjamini–Hochberg 多重检验校正，校正后不高于错误发现率、件数不少于最少件数且超出预期不少于最少
    超出件数时预警。分值为实际件数与预期件数之比。"""

    code = "area_surge"
    name = _("重点区域异常增多")
    kind = "area"

    def series_key_of(self, area: int, cat1: str) -> Any:
        return (area, cat1)

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or (subject.get("area"), subject.get("type")) in touched.area_types

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        tests = self.tests(snap, params, scope)
        keys = [k for k, t in tests.items() if self.significant(t, params)]
        if touched is not None:
            keys = [k for k in keys if k in touched.area_types]
        out = []
        for key in sorted(keys):
            t = tests[key]
            area, cat1 = key
            ratio = t.count / max(t.expected, 0.5)
            text = _t(
                "%(area)s近%(d)s天受理%(type)s纠纷%(n)s件，按前%(w)s周基线预期约%(e).1f件，为预期的%(r).1f倍"
                "（负二项检验p=%(p).2g，经%(m)s个乡镇×类别序列多重检验校正后q=%(q).2g）。"
            ) % {
                "area": snap.town_name(area) or _t("本辖区"),
                "d": int(t.days),
                "type": snap.type_name.get(cat1, cat1),
                "n": t.count,
                "w": params["baseline_weeks"],
                "e": t.expected,
                "r": ratio,
                "p": t.p,
                "m": len(tests),
                "q": t.q,
            }
            current = snap.current_cases(scope, area, cat1)
            out.append(
                Finding(
                    key=f"a:{area}:{cat1}",
                    score=round(ratio, 2),
                    unit_id=area or snap.root_id,
                    title=_t("重点区域：%(area)s%(type)s纠纷增多")
                    % {"area": snap.town_name(area), "type": snap.type_name.get(cat1, cat1)},
                    explanation=text,
                    case_ids=newest(current),
                    figures=_figures(t, len(tests)),
                    subject={"area": area, "type": cat1},
                    signal_at=current[0][1] if current else None,
                )
            )
        return out


def newest(current: list[tuple[int, dt.datetime]]) -> list[int]:
    """The evidence of a surge: the week's cases, oldest first, but only the newest ``MAX_EVIDENCE`` of
    them when there are more — the cases that make the surge, not the ordinary days before it."""
    return [c for c, _ in current[-base.MAX_EVIDENCE :]]


def _figures(t: Test, series: int) -> dict[str, Any]:
    return {
        "count": t.count,
        "expected": round(t.expected, 2),
        "p_value": t.p,
        "q_value": t.q,
        "dispersion": round(t.phi, 2),
        "series_tested": series,
        "window_days": int(t.days),
        "week_count": t.week_count,
    }


@register
class DomainSurge(SurgeDetector):
    """重点领域：某一类纠纷在全辖区近 7 天的件数显著高于季节性基线（前若干周的指数加权均值 × 去年同期的
    季节系数；历史不足一年时不用季节系数），检验与多重检验校正同重点区域模型。分值为实际与预期之比。"""

    code = "domain_surge"
    name = _("重点领域异常增多")
    kind = "domain"
    params = {**SurgeDetector.params, "min_cases": Param(10, _("本周最少件数"), 1, 10000)}
    thresholds = {"blue": 1.3, "yellow": 1.6, "orange": 2, "red": 3}

    def series_key_of(self, area: int, cat1: str) -> Any:
        return cat1

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or subject.get("type") in touched.types

    def seasons(self, snap: Snapshot, keys: list[Any]) -> tuple[dict[Any, float], dict[Any, float]]:
        """Per type: (same 7 days a year ago + 1) / (mean of the 9 surrounding weeks a year ago + 1),
        clamped to [0.5, 2], with the relative variance of that ratio (Poisson counts). Only when the
        history covers all 9 weeks a year ago; otherwise no factor."""
        year = dt.timedelta(days=364)
        start = snap.now - year - WEEK
        first = Case.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None or first > start - 4 * WEEK:
            return {}, {}
        same = self._counts(start, start + WEEK)
        around = self._counts(start - 4 * WEEK, start + 5 * WEEK)
        factor: dict[Any, float] = {}
        rel_var: dict[Any, float] = {}
        for k in keys:
            s, a = same.get(k, 0), around.get(k, 0)
            if not a:
                continue
            factor[k] = min(SEASON_CLAMP[1], max(SEASON_CLAMP[0], (s + 1) / (a / 9 + 1)))
            rel_var[k] = 1 / (s + 1) + 1 / (a + 1)
        return factor, rel_var

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
        tests = self.tests(snap, params, scope)
        keys = [k for k, t in tests.items() if self.significant(t, params)]
        if touched is not None:
            keys = [k for k in keys if k in touched.types]
        out = []
        for cat1 in sorted(keys):
            t = tests[cat1]
            ratio = t.count / max(t.expected, 0.5)
            text = _t(
                "全辖区近%(d)s天受理%(type)s纠纷%(n)s件，季节性基线预期约%(e).1f件（季节系数%(s).2f），为预期的%(r).1f倍"
                "（负二项检验p=%(p).2g，经%(m)s类多重检验校正后q=%(q).2g）。"
            ) % {
                "type": snap.type_name.get(cat1, cat1),
                "d": int(t.days),
                "n": t.count,
                "e": t.expected,
                "s": t.season,
                "r": ratio,
                "p": t.p,
                "m": len(tests),
                "q": t.q,
            }
            current = snap.current_cases(scope, None, cat1)
            out.append(
                Finding(
                    key=f"d:{cat1}",
                    score=round(ratio, 2),
                    unit_id=snap.root_id,
                    title=_t("重点领域：%(type)s纠纷增多") % {"type": snap.type_name.get(cat1, cat1)},
                    explanation=text,
                    case_ids=newest(current),
                    figures={**_figures(t, len(tests)), "season": round(t.season, 2)},
                    subject={"type": cat1},
                    signal_at=current[0][1] if current else None,
                )
            )
        return out
