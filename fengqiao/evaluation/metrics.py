"""The metrics (SPEC §6 and those the 矛调指数 needs): a registry of definitions, each with its formula
in Chinese, whether it is the platform's proposal, and a function that picks the exact cases of its
numerator and denominator from :mod:`fengqiao.evaluation.facts`.

How case histories are counted (docs/metrics.md says the same, with examples):

- A case counts for the unit that owns it when the figure is computed (for a concluded case, the unit
  that concluded it: a case transferred mid-period counts once, for the receiver) — "owner" metrics —
  or for its 属地 (the place of the matter, the owner when it has none) — "place" metrics.
- Concluded = resolved or referred; the date is the latest conclusion. A reopened case leaves the
  period of its earlier conclusion and counts again only when concluded again (reopen clears it).
- Closed = closed after a conclusion. Withdrawn and merged cases are never closed, concluded or due.
- Merged duplicates are left out of "registered" (the case they joined counts), but a duplicate is
  what makes the first report a repeat (重复访).
- A paused case is not "due" while it waits (its deadline moves when it resumes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Satisfaction
from fengqiao.cases.workflow import State
from fengqiao.evaluation.facts import Facts, Row, Scope

OWNER, PLACE = "owner", "place"
RATE, MEAN, PER10K, CHANGE = "rate", "mean", "per10k", "change"
MICROS_PER_DAY = 86_400_000_000
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Metric:
    key: str
    name: Any
    formula: Any
    proposed: bool
    kind: str = RATE  # rate: num/den in [0,1]; mean: num/den in days; per10k; change
    attribution: str = OWNER
    direction: str = "higher"
    pick: Callable[[Facts, Scope], tuple[list[int], list[int]]] | None = None
    sums: Callable[[Facts, Scope], tuple[float, list[int]]] | None = None  # for MEAN: (sum, ids)
    external: bool = False
    # A metric added by a later app gives its per-path sums for the index (sums.py): ``grouped(start,
    # end)`` → {attribution path: (numerator, denominator)}; the built-in ones are in sums.compute.
    grouped: Callable[[Any, Any], dict[str, tuple[int, int]]] | None = None
    # And its cases for the drill-down (families.py): ``cases(start, end)`` → (cases, numerator
    # condition, denominator condition or None); the drill-down filters them to one unit's subtree.
    cases: Callable[[Any, Any], Any] | None = None

    @property
    def unit_label(self) -> str:
        return {RATE: "%", MEAN: str(_("天")), PER10K: str(_("件/万人")), CHANGE: "%"}[self.kind]


@dataclass
class Result:
    key: str
    name: str
    formula: str
    proposed: bool
    numerator: float
    denominator: float
    value: float | None
    kind: str
    num_ids: list[int] = field(default_factory=list)
    den_ids: list[int] = field(default_factory=list)
    shrunk: float | None = None

    @property
    def display(self) -> str:
        return display_value(self.kind, self.value)

    @property
    def shrunk_display(self) -> str:
        return display_value(self.kind, self.shrunk)

    def as_json(self) -> dict[str, Any]:
        out = {
            "key": self.key,
            "name": self.name,
            "formula": self.formula,
            "proposed": self.proposed,
            "numerator": _num(self.numerator),
            "denominator": _num(self.denominator),
            "value": None if self.value is None else round(self.value, 6),
        }
        if self.shrunk is not None:
            out["shrunk"] = round(self.shrunk, 6)
        return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


def display_value(kind: str, value: float | None) -> str:
    if value is None:
        return "—"
    if kind in (RATE, CHANGE):
        return f"{value * 100:.1f}%"
    if kind == MEAN:
        return f"{value:.1f}"
    return f"{value:.2f}"


REGISTRY: dict[str, Metric] = {}


def metric(**kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        kind = kw.get("kind", RATE)
        if kind == MEAN:
            REGISTRY[kw["key"]] = Metric(sums=fn, **kw)
        else:
            REGISTRY[kw["key"]] = Metric(pick=fn, **kw)
        return fn

    return wrap


def _within(f: Facts, at: Any) -> bool:
    return at is not None and f.period.start <= at < min(f.period.end, f.now)


def _rows(f: Facts, s: Scope, attribution: str = OWNER) -> list[Row]:
    test = s.by_owner if attribution == OWNER else s.by_place
    return [r for r in f.rows if test(r)]


def _split(rows: list[Row], good: Callable[[Row], bool]) -> tuple[list[int], list[int]]:
    return [r.pk for r in rows if good(r)], [r.pk for r in rows]


def concluded(f: Facts, s: Scope, attribution: str = OWNER) -> list[Row]:
    return [r for r in _rows(f, s, attribution) if r.concluded and _within(f, r.resolved_at)]


def closed(f: Facts, s: Scope, attribution: str = OWNER) -> list[Row]:
    return [r for r in _rows(f, s, attribution) if r.closed and _within(f, r.closed_at)]


def registered(f: Facts, s: Scope, attribution: str = OWNER) -> list[Row]:
    return [r for r in _rows(f, s, attribution) if not r.merged and _within(f, r.created_at)]


def accepted(f: Facts, s: Scope) -> list[Row]:
    return [r for r in _rows(f, s) if _within(f, r.accepted_at)]


@metric(
    key="success_rate",
    name=_("调处成功率"),
    formula=_("调解成功件数 ÷ 调解终结件数（有调解团队或调解记录、本期化解或转介的案件）"),
    proposed=False,
)
def _success(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split([r for r in concluded(f, s) if r.mediated], lambda r: not r.referral)


@metric(
    key="prelit_success_rate",
    name=_("诉前调解成功率"),
    formula=_("诉前调解成功件数 ÷ 诉前调解终结件数（诉调对接渠道、本期化解或转介）"),
    proposed=False,
)
def _prelit(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split([r for r in concluded(f, s) if r.channel == "court"], lambda r: not r.referral)


@metric(
    key="completion_rate",
    name=_("办结率"),
    formula=_("到期已办结件数 ÷ 本期到期件数（办结时限在本期、未撤回未合并、当前未中止）"),
    proposed=False,
)
def _completion(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    due = [
        r
        for r in _rows(f, s)
        if _within(f, r.due_at) and not r.merged and not r.withdrawn_or_merged and r.state != State.PAUSED
    ]
    end = min(f.period.end, f.now)
    return _split(due, lambda r: r.closed and r.closed_at is not None and r.closed_at < end)


@metric(
    key="ontime_rate",
    name=_("按期办结率"),
    formula=_("按期办结件数 ÷ 本期办结件数（化解或转介时间不晚于办结时限）"),
    proposed=False,
)
def _ontime(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(closed(f, s), lambda r: r.due_at is None or (r.resolved_at is not None and r.resolved_at <= r.due_at))


def _rated(f: Facts, s: Scope) -> list[Row]:
    return [r for r in _rows(f, s) if r.satisfaction and _within(f, r.rated_at)]


@metric(
    key="satisfaction_rate",
    name=_("群众满意率"),
    formula=_("（满意 + 基本满意）件数 ÷ 本期有效评价件数（以案件最近一次评价为准）"),
    proposed=False,
)
def _satisfaction(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(_rated(f, s), lambda r: r.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC))


@metric(
    key="satisfaction_strict",
    name=_("群众满意率（严格口径）"),
    formula=_("满意件数 ÷ 本期有效评价件数"),
    proposed=False,
)
def _satisfaction_strict(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(_rated(f, s), lambda r: r.satisfaction == Satisfaction.SATISFIED)


@metric(
    key="local_rate",
    name=_("就地化解率"),
    formula=_("在网格、村社、乡镇层级办结（未上交县级）件数 ÷ 本期办结件数（按属地统计）"),
    proposed=True,
    attribution=PLACE,
)
def _local(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(closed(f, s, PLACE), lambda r: r.level <= 2)


@metric(
    key="repeat_rate",
    name=_("重复访率"),
    formula=_("同一申请人90日内就同类事项再次反映的件数 ÷ 本期登记件数（按属地统计）"),
    proposed=True,
    attribution=PLACE,
    direction="lower",
)
def _repeat(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(registered(f, s, PLACE), lambda r: r.repeated)


@metric(
    key="dual_rate",
    name=_("事心双解率"),
    formula=_("回访确认事了且心结已解件数 ÷ 本期办结且已回访件数"),
    proposed=True,
)
def _dual(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    rows = [r for r in closed(f, s) if r.visited and r.matter_settled is not None]
    return _split(rows, lambda r: bool(r.matter_settled and r.grievance_settled))


@metric(
    key="response_rate",
    name=_("响应率"),
    formula=_("时限内首次联系当事人件数 ÷ 本期受理件数"),
    proposed=True,
)
def _response(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(
        accepted(f, s),
        lambda r: r.first_contact_at is not None and (r.contact_due is None or r.first_contact_at <= r.contact_due),
    )


@metric(
    key="accept_ontime_rate",
    name=_("按时受理率"),
    formula=_("受理时限内受理件数 ÷ 本期受理件数"),
    proposed=True,
)
def _accept_ontime(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(
        accepted(f, s), lambda r: r.accept_due is None or (r.accepted_at is not None and r.accepted_at <= r.accept_due)
    )


@metric(
    key="avg_days",
    name=_("平均办理天数"),
    formula=_("本期办结案件自登记至化解（转介）天数之和 ÷ 本期办结件数"),
    proposed=True,
    kind=MEAN,
    direction="lower",
)
def _avg_days(f: Facts, s: Scope) -> tuple[float, list[int]]:
    rows = closed(f, s)
    # Whole microseconds summed, divided once: exactly what the per-unit sums (sums.py) give.
    micros = sum((r.resolved_at - r.created_at) // MICROSECOND for r in rows if r.resolved_at)
    return micros / MICROS_PER_DAY, [r.pk for r in rows]


@metric(
    key="high_risk_share",
    name=_("高风险案件占比"),
    formula=_("本期登记的高风险件数 ÷ 本期登记件数（按属地统计）"),
    proposed=True,
    attribution=PLACE,
    direction="lower",
)
def _high_risk(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(registered(f, s, PLACE), lambda r: r.risk == "high")


@metric(
    key="flagged_rate",
    name=_("问责线索发生率"),
    formula=_("本期登记且产生问责线索（应录未录、应调未调、推诿扯皮）的件数 ÷ 本期登记件数"),
    proposed=True,
    direction="lower",
)
def _flagged(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    return _split(registered(f, s), lambda r: r.flagged)


@metric(
    key="instruction_answer_rate",
    name=_("批示回复率"),
    formula=_("本期领导批示中已回复条数 ÷ 本期领导批示条数"),
    proposed=True,
)
def _instructions(f: Facts, s: Scope) -> tuple[list[int], list[int]]:
    rows = [i for i in f.instructions if s.holds(i.owner_path, i.owner_path, i.handler_id)]
    return [i.case_id for i in rows if i.answered], [i.case_id for i in rows]


# Metrics computed from external figures (ExternalFigure): no case drill-down.
REGISTRY["lawsuit_rate"] = Metric(
    key="lawsuit_rate",
    name=_("万人成诉率"),
    formula=_("本期一审民事、行政案件数 ÷ 常住人口 × 10000（法院数据、人口数据由管理员录入或导入）"),
    proposed=False,
    kind=PER10K,
    attribution=PLACE,
    direction="lower",
    external=True,
)
REGISTRY["visit_decline"] = Metric(
    key="visit_decline",
    name=_("四级走访下降率"),
    formula=_("（上期四级走访人次 − 本期人次）÷ 上期人次（走访数据由管理员录入或导入）"),
    proposed=True,
    kind=CHANGE,
    attribution=PLACE,
    external=True,
)

SPEC_METRICS = (
    "success_rate",
    "prelit_success_rate",
    "completion_rate",
    "ontime_rate",
    "satisfaction_rate",
    "satisfaction_strict",
    "local_rate",
    "repeat_rate",
    "dual_rate",
    "lawsuit_rate",
    "response_rate",
)
