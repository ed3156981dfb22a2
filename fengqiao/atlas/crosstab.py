"""Cross-tabulation for the statistics page: any two or three of period × place × type × channel ×
unit × state, with row / column totals and per-row 办结率 and 满意率.

One GROUP BY over the raw columns (month, location unit, category, channel, owner unit, state)
with conditional counts; labels and roll-ups (village → town, subtype → type) are applied in
Python over the grouped rows, which are few.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from fengqiao.atlas import rates
from fengqiao.atlas.geometry import areas
from fengqiao.atlas.scope import Scope
from fengqiao.cases.choices import Channel, Satisfaction
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

DIMENSIONS = {
    "period": _l("月份"),
    "town": _l("乡镇（街道）"),
    "village": _l("村（社区）"),
    "type": _l("纠纷类型"),
    "channel": _l("来源渠道"),
    "unit": _l("责任单位"),
    "state": _l("状态"),
}
COLUMN = {
    "period": "month",
    "town": "location_unit_id",
    "village": "location_unit_id",
    "type": "top_category",
    "channel": "channel",
    "unit": "owner_unit_id",
    "state": "state",
}
FORMULAS = {
    "close_rate": _l("办结率 = 已办结（已化解或未化解已转介）件数 ÷ 案件数（不含撤回、合并），按登记时间筛选"),
    "satisfaction_rate": _l("满意率 = 评价为“满意”或“基本满意”的件数 ÷ 已评价件数"),
}


MEASURES = ("n", "handled", "ended", "rated", "satisfied")


class CrossTabError(ValueError):
    pass


@dataclass
class Table:
    dims: list[str]
    row_keys: list[tuple[str, ...]] = field(default_factory=list)
    col_keys: list[str] = field(default_factory=list)
    cells: dict[tuple[tuple[str, ...], str], int] = field(default_factory=dict)
    row_totals: dict[tuple[str, ...], int] = field(default_factory=dict)
    col_totals: dict[str, int] = field(default_factory=dict)
    total: int = 0
    row_rates: dict[tuple[str, ...], dict[str, float | None]] = field(default_factory=dict)
    total_rates: dict[str, float | None] = field(default_factory=dict)
    fresh: str = ""  # "HH:MM" when read from the rollup (the page says 数据更新于)

    def headers(self) -> list[str]:
        row_dims = [self.dims[0], *self.dims[2:]]
        return [str(DIMENSIONS[d]) for d in row_dims]

    def as_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "keys": list(rk),
                "cells": [self.cells.get((rk, ck), 0) for ck in self.col_keys],
                "total": self.row_totals[rk],
                **self.row_rates[rk],
            }
            for rk in self.row_keys
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimensions": self.dims,
            "row_headers": self.headers(),
            "column_header": str(DIMENSIONS[self.dims[1]]),
            "columns": self.col_keys,
            "rows": self.as_rows(),
            "column_totals": [self.col_totals.get(c, 0) for c in self.col_keys],
            "total": self.total,
            **self.total_rates,
            "formulas": {k: str(v) for k, v in FORMULAS.items()},
            "data_updated": self.fresh,
        }


class _Labels:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.cat_name = dict(Category.objects.values_list("pk", "name"))
        self.cat_parent = dict(Category.objects.values_list("pk", "parent_id"))
        self.channel = {k: str(v) for k, v in Channel.choices}
        self.state = {k: str(v) for k, v in State.choices}
        self.unit_names: dict[int, str] = {}
        self.geo = areas()
        self._memo: dict[tuple[str, Any], str] = {}

    def unit(self, pk: int | None) -> str:
        if pk is None:
            return _("未指定")
        if pk not in self.unit_names:
            self.unit_names[pk] = Unit.objects.filter(pk=pk).values_list("name", flat=True).first() or "?"
        return self.unit_names[pk]

    def place(self, pk: int | None, kind: str) -> str:
        for a in self.geo.chain(pk) if pk else []:
            if a.kind == kind:
                return a.name
        return _("未定位到%(kind)s") % {"kind": UnitKind(kind).label}

    def label(self, dim: str, value: Any) -> str:
        """The label of a grouped value, computed once per distinct value (the GROUP BY runs on raw
        columns — grid, subtype — so thousands of rows share a few dozen labels)."""
        key = (dim, value)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._label(dim, value)
        return hit

    def _label(self, dim: str, value: Any) -> str:
        if dim == "period":
            if isinstance(value, dt.datetime):
                value = timezone.localtime(value)
            return value.strftime("%Y-%m") if value else _("未知")
        if dim == "town":
            return self.place(value, UnitKind.TOWN)
        if dim == "village":
            return self.place(value, UnitKind.VILLAGE)
        if dim == "type":
            top = self.cat_parent.get(value) or value
            return self.cat_name.get(top, _("未分类")) if top else _("未分类")
        if dim == "channel":
            return self.channel.get(value, value)
        if dim == "unit":
            return self.unit(value)
        if dim == "state":
            return self.state.get(value, value)
        raise CrossTabError(dim)


def parse_dims(values: list[str]) -> list[str]:
    dims = [v for v in values if v]
    if len(dims) < 2 or len(dims) > 3:
        raise CrossTabError(_("请选择两到三个维度"))
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise CrossTabError(_("不认识的维度：%(d)s") % {"d": "、".join(unknown)})
    if len(set(dims)) != len(dims) or {"town", "village"} <= set(dims):
        raise CrossTabError(_("维度不能重复（乡镇与村也只能选其一）"))
    return dims


def grouped(qs: QuerySet[Case], dims: list[str]) -> list[dict[str, Any]]:
    """One GROUP BY over the cases: a dict per group with the raw columns and the measures."""
    cols = [COLUMN[d] for d in dims]
    if "period" in dims:
        qs = qs.annotate(month=TruncMonth("created_at"))
    if "type" in dims:  # group by the first-level type in SQL (a subtype's parent)
        qs = qs.annotate(top_category=Coalesce("category__parent_id", "category_id"))
    handled = Q(resolved_at__isnull=False) | Q(state__in=sorted(OPEN_STATES))
    group = list(dict.fromkeys(cols))
    rows = (
        qs.values(*group)
        .annotate(
            n=Count("id"),
            handled=Count("id", filter=handled),
            ended=Count("id", filter=Q(resolved_at__isnull=False)),
            rated=Count("id", filter=~Q(satisfaction="")),
            satisfied=Count("id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
        )
        .order_by()
        .values_list(*group, *MEASURES)
    )
    return [dict(zip((*group, *MEASURES), raw, strict=True)) for raw in rows]


def crosstab(qs: QuerySet[Case], scope: Scope, dims: list[str], rows: list[dict[str, Any]] | None = None) -> Table:
    """The table of ``dims`` over ``qs``, or over already grouped ``rows`` (the rollup's, keyed by
    :data:`COLUMN` like :func:`grouped`'s)."""
    dims = parse_dims(dims)
    if rows is None:
        rows = grouped(qs, dims)
    labels = _Labels(scope)
    table = Table(dims)
    extra: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        keys = [labels.label(d, r[COLUMN[d]]) for d in dims]
        rk = (keys[0], *keys[2:])
        ck = keys[1]
        table.cells[(rk, ck)] = table.cells.get((rk, ck), 0) + r["n"]
        table.row_totals[rk] = table.row_totals.get(rk, 0) + r["n"]
        table.col_totals[ck] = table.col_totals.get(ck, 0) + r["n"]
        table.total += r["n"]
        for k in ("handled", "ended", "rated", "satisfied"):
            extra[rk][k] += r[k]
            totals[k] += r[k]
    table.row_keys = sorted(table.row_keys or table.row_totals, key=lambda k: (-table.row_totals[k], k))
    if dims[0] == "period":
        table.row_keys.sort()
    table.col_keys = sorted(table.col_totals, key=lambda k: (-table.col_totals[k], k))
    if dims[1] == "period":
        table.col_keys.sort()
    for rk in table.row_keys:
        e = extra[rk]
        table.row_rates[rk] = {
            "close_rate": rates.rate(e["ended"], e["handled"]),
            "satisfaction_rate": rates.rate(e["satisfied"], e["rated"]),
        }
    table.total_rates = {
        "close_rate": rates.rate(totals["ended"], totals["handled"]),
        "satisfaction_rate": rates.rate(totals["satisfied"], totals["rated"]),
    }
    return table


def to_xlsx(table: Table, title: str) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("统计")[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True)
    head = [*table.headers(), *table.col_keys, _("合计"), _("办结率(%)"), _("满意率(%)")]
    ws.append(head)
    for c in ws[2]:
        c.font = Font(bold=True)
    for r in table.as_rows():
        ws.append([*r["keys"], *r["cells"], r["total"], r["close_rate"], r["satisfaction_rate"]])
    pad = [""] * (len(table.headers()) - 1)
    ws.append(
        [
            _("合计"),
            *pad,
            *[table.col_totals.get(c, 0) for c in table.col_keys],
            table.total,
            table.total_rates["close_rate"],
            table.total_rates["satisfaction_rate"],
        ]
    )
    ws.append([])
    for f in FORMULAS.values():
        ws.append([str(f)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
