"""矛调指数: the indicator tree (dimensions → indicators → leaf metrics) — validation and scoring.

Scoring, bottom up:
- a leaf takes its metric's value for the unit, shrunk toward the pooled value of all ranked units
  (:func:`fengqiao.evaluation.engine.shrink`, ``k`` from the tree);
- normalised to 0–100: ``rate`` reads a rate as a percentage (a change rate −100 %…+100 % as 0…100),
  ``minmax`` places the unit between the worst (0) and the best (100) of the units ranked (100 for all
  when they are all equal);
- ``lower`` flips it (100 − x);
- a node's score is the weighted mean of its children's scores; a child without data (no case in its
  denominator, no external figure) is left out and the weights of the others renormalised.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from fengqiao.evaluation.metrics import CHANGE, RATE, REGISTRY, Result

TOLERANCE = 1e-3


@dataclass
class Node:
    code: str
    name: str
    kind: str
    weight: float
    parent: str | None = None
    metric: str = ""
    direction: str = "higher"
    normalisation: str = "rate"
    proposed: bool = True
    children: list[Node] = field(default_factory=list)


class TreeError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


def validate(nodes: list[Node]) -> list[str]:
    """The Chinese errors that make a tree unusable (empty when it is valid)."""
    errors: list[str] = []
    by_code: dict[str, Node] = {}
    for n in nodes:
        if n.code in by_code:
            errors.append(gettext("指标代码“%(c)s”重复。") % {"c": n.code})
        by_code[n.code] = n
    for n in nodes:
        seen = {n.code}
        p = n.parent
        while p:
            if p in seen:
                errors.append(gettext("指标“%(n)s”的上级关系形成循环。") % {"n": n.name})
                break
            seen.add(p)
            if p not in by_code:
                errors.append(gettext("指标“%(n)s”的上级“%(p)s”不存在。") % {"n": n.name, "p": p})
                break
            p = by_code[p].parent
    if errors:
        return errors
    groups: dict[str | None, list[Node]] = defaultdict(list)
    for n in nodes:
        groups[n.parent].append(n)
        if not 0 < n.weight <= 1:
            errors.append(gettext("指标“%(n)s”的权重 %(w)s 应大于 0 且不超过 1。") % {"n": n.name, "w": n.weight})
    if not groups.get(None):
        errors.append(gettext("指标体系没有任何维度。"))
    for parent, kids in groups.items():
        total = sum(k.weight for k in kids)
        if abs(total - 1) > TOLERANCE:
            where = by_code[parent].name if parent else gettext("维度层")
            errors.append(
                gettext("“%(p)s”下各项权重之和为 %(t)s，应为 1。")
                % {"p": where, "t": f"{total:.3f}".rstrip("0").rstrip(".")}
            )
    for n in nodes:
        has_children = bool(groups.get(n.code))
        if n.parent is None and n.kind != "dimension":
            errors.append(gettext("顶层指标“%(n)s”应为维度。") % {"n": n.name})
        if has_children and n.metric:
            errors.append(gettext("“%(n)s”有下级指标，不应再指定计算口径。") % {"n": n.name})
        if not has_children:
            m = REGISTRY.get(n.metric)
            if m is None:
                errors.append(gettext("末级指标“%(n)s”没有有效的计算口径。") % {"n": n.name})
            elif n.normalisation == "rate" and m.kind not in (RATE, CHANGE):
                errors.append(gettext("“%(n)s”不是比率，应使用极差标准化。") % {"n": n.name})
    return errors


def build(nodes: list[Node]) -> list[Node]:
    """The roots (dimensions) with their children attached; raises TreeError when invalid."""
    errors = validate(nodes)
    if errors:
        raise TreeError(errors)
    by_code = {n.code: n for n in nodes}
    for n in nodes:
        n.children = []
    roots = []
    for n in nodes:
        if n.parent:
            by_code[n.parent].children.append(n)
        else:
            roots.append(n)
    return roots


def leaves(roots: list[Node]) -> list[Node]:
    out: list[Node] = []
    stack = list(reversed(roots))
    while stack:
        n = stack.pop()
        if n.children:
            stack.extend(reversed(n.children))
        else:
            out.append(n)
    return out


def _normalise(node: Node, value: float | None, lo: float | None, hi: float | None) -> float | None:
    if value is None:
        return None
    if node.normalisation == "rate":
        kind = REGISTRY[node.metric].kind
        x = (max(-1.0, min(1.0, value)) + 1) * 50 if kind == CHANGE else max(0.0, min(1.0, value)) * 100
    else:
        if lo is None or hi is None or hi - lo < 1e-12:
            return 100.0  # every unit equal on this indicator: nobody is behind
        x = (value - lo) / (hi - lo) * 100
    return 100 - x if node.direction == "lower" else x


def score(roots: list[Node], values: dict[int, dict[str, float | None]]) -> dict[int, dict[str, float | None]]:
    """Scores of every node for every unit: ``values[unit][metric]`` → ``{unit: {node code: score}}``."""
    leaf_nodes = leaves(roots)
    bounds: dict[str, tuple[float | None, float | None]] = {}
    for n in leaf_nodes:
        present = [v[n.metric] for v in values.values() if v.get(n.metric) is not None]
        bounds[n.code] = (min(present), max(present)) if present else (None, None)  # type: ignore[type-var]
    out: dict[int, dict[str, float | None]] = {}
    for unit, vals in values.items():
        scores: dict[str, float | None] = {}

        def walk(
            n: Node, vals: dict[str, float | None] = vals, scores: dict[str, float | None] = scores
        ) -> float | None:
            if not n.children:
                lo, hi = bounds[n.code]
                s = _normalise(n, vals.get(n.metric), lo, hi)
            else:
                parts = [(c.weight, walk(c)) for c in n.children]
                got = [(w, x) for w, x in parts if x is not None]
                wsum = sum(w for w, _ in got)
                s = sum(w * x for w, x in got) / wsum if got and wsum > 0 else None
            scores[n.code] = s
            return s

        parts = [(r.weight, walk(r)) for r in roots]
        got = [(w, x) for w, x in parts if x is not None]
        wsum = sum(w for w, _ in got)
        scores["__total__"] = sum(w * x for w, x in got) / wsum if got and wsum > 0 else None
        out[unit] = scores
    return out


def rank(totals: dict[int, float | None]) -> dict[int, int | None]:
    """1 for the best; ties share a rank; units without a score are not ranked."""
    ordered = sorted(((s, u) for u, s in totals.items() if s is not None), key=lambda t: -t[0])
    ranks: dict[int, int | None] = dict.fromkeys(totals)
    prev: float | None = None
    current = 0
    for i, (s, u) in enumerate(ordered, start=1):
        if prev is None or abs(s - prev) > 1e-9:
            current = i
        ranks[u] = current
        prev = s
    return ranks


def band(rank_: int | None, count: int) -> str:
    """三色: the top third green, the middle yellow, the bottom third red (by rank)."""
    if rank_ is None or count == 0:
        return "grey"
    if rank_ <= max(1, round(count / 3)):
        return "green"
    if rank_ > count - max(1, round(count / 3)):
        return "red"
    return "yellow"


def leaf_values(results: dict[str, Result]) -> dict[str, float | None]:
    return {k: (r.shrunk if r.shrunk is not None else r.value) for k, r in results.items()}


def as_nodes(rows: list[Any]) -> list[Node]:
    """Nodes from IndexNode rows (or anything with the same attributes)."""
    codes = {r.pk: r.code for r in rows}
    return [
        Node(
            code=r.code,
            name=r.name,
            kind=r.kind,
            weight=r.weight,
            parent=codes.get(r.parent_id) if r.parent_id else None,
            metric=r.metric,
            direction=r.direction,
            normalisation=r.normalisation,
            proposed=r.proposed,
        )
        for r in rows
    ]
