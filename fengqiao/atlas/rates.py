"""The few rates the screens and the statistics page show, each with its formula, in one module
so a fuller metrics engine can replace it. Counts come in as conditional aggregates
(:func:`rate_counts`); :func:`rate` divides and :data:`FORMULAS` states what was divided.

- 化解 (resolved): ended by 化解 (``resolved_at`` set, no referral).
- 办结 (ended): ended by 化解 or by a referral (``resolved_at`` set).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Level, Satisfaction
from fengqiao.cases.workflow import OPEN_STATES

FORMULAS = {
    "close_rate": _("办结率 = 期内登记且已办结（已化解或未化解已转介）的件数 ÷ 期内登记件数（不含撤回、合并的案件）"),
    "local_rate": _("就地化解率 = 期内化解案件中在村（社区）、乡镇层级化解（响应等级蓝色、黄色）的件数 ÷ 期内化解件数"),
    "satisfaction_rate": _("满意率 = 期内办结案件中评价为“满意”或“基本满意”的件数 ÷ 期内办结且已评价的件数"),
}
LABELS = {
    "close_rate": _("办结率"),
    "local_rate": _("就地化解率"),
    "satisfaction_rate": _("满意率"),
}


def resolved_q() -> Q:
    return Q(resolved_at__isnull=False, referral="")


def rate_counts(start: dt.datetime, end: dt.datetime, prefix: str = "") -> dict[str, Count]:
    """Conditional counts for the three rates over [start, end), to pass to ``aggregate``."""
    reg = Q(created_at__gte=start, created_at__lt=end)
    ended = Q(resolved_at__gte=start, resolved_at__lt=end)
    handled = Q(resolved_at__isnull=False) | Q(state__in=sorted(OPEN_STATES))
    return {
        f"{prefix}reg_handled": Count("id", filter=reg & handled),
        f"{prefix}reg_ended": Count("id", filter=reg & Q(resolved_at__isnull=False)),
        f"{prefix}resolved": Count("id", filter=ended & resolved_q()),
        f"{prefix}resolved_local": Count("id", filter=ended & resolved_q() & Q(level__lte=Level.YELLOW)),
        f"{prefix}rated": Count("id", filter=ended & ~Q(satisfaction="")),
        f"{prefix}satisfied": Count(
            "id", filter=ended & Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
        ),
    }


def rate(num: int, den: int) -> float | None:
    """num / den as a percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * num / den, 1) if den else None


def rates(counts: dict[str, int], prefix: str = "") -> dict[str, float | None]:
    c = {k[len(prefix) :]: v for k, v in counts.items() if k.startswith(prefix)}
    return {
        "close_rate": rate(c["reg_ended"], c["reg_handled"]),
        "local_rate": rate(c["resolved_local"], c["resolved"]),
        "satisfaction_rate": rate(c["satisfied"], c["rated"]),
    }
