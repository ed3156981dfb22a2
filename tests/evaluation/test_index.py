"""The 矛调指数 tree: validation (Chinese errors), scoring by hand, ranking, and the fairness rule."""

from __future__ import annotations

import pytest

from fengqiao.evaluation import engine, index
from fengqiao.evaluation.defaults import TREE
from fengqiao.evaluation.index import Node
from fengqiao.evaluation.metrics import Result


def default_nodes() -> list[Node]:
    return [
        Node(code=c, name=n, kind=k, parent=p, weight=w, metric=m, direction=d, normalisation=nm, proposed=pr)
        for c, n, k, p, w, m, d, nm, pr in TREE
    ]


def tiny() -> list[Node]:
    return [
        Node("A", "维度甲", "dimension", 0.6),
        Node("A1", "满意", "metric", 0.5, parent="A", metric="satisfaction_rate"),
        Node("A2", "天数", "metric", 0.5, parent="A", metric="avg_days", direction="lower", normalisation="minmax"),
        Node("B", "维度乙", "dimension", 0.4),
        Node("B1", "按期", "metric", 1.0, parent="B", metric="ontime_rate"),
    ]


def test_default_tree_is_valid_with_six_dimensions() -> None:
    nodes = default_nodes()
    assert index.validate(nodes) == []
    roots = index.build(nodes)
    assert [r.name for r in roots] == ["响应速度", "办理速度", "办理质量", "群众评价", "监督反馈", "风险等级"]
    names = {n.name for n in nodes}
    assert {"重复信访率", "群众满意率", "事心双解率", "四级走访下降率", "就地化解率"} <= names  # report 000


def test_weight_sum_broken_is_refused_in_chinese() -> None:
    nodes = tiny()
    nodes[1].weight = 0.4
    errors = index.validate(nodes)
    assert errors == ["“维度甲”下各项权重之和为 0.9，应为 1。"]
    with pytest.raises(index.TreeError):
        index.build(nodes)


def test_top_level_weights_and_tolerance() -> None:
    nodes = tiny()
    nodes[0].weight = 0.6004  # within 1e-3
    assert index.validate(nodes) == []
    nodes[0].weight = 0.7
    assert "“维度层”下各项权重之和为 1.1，应为 1。" in index.validate(nodes)


def test_cycle_and_bad_leaf() -> None:
    nodes = tiny()
    nodes[0].parent = "A1"  # A → A1 → A
    assert any("形成循环" in e for e in index.validate(nodes))
    nodes = tiny()
    nodes[4].metric = "no_such_metric"
    assert "末级指标“按期”没有有效的计算口径。" in index.validate(nodes)
    nodes = tiny()
    nodes[2].normalisation = "rate"  # days are not a rate
    assert "“天数”不是比率，应使用极差标准化。" in index.validate(nodes)


def test_scores_by_hand() -> None:
    roots = index.build(tiny())
    values = {
        1: {"satisfaction_rate": 0.9, "avg_days": 4.0, "ontime_rate": 0.8},
        2: {"satisfaction_rate": 0.6, "avg_days": 10.0, "ontime_rate": None},
    }
    s = index.score(roots, values)
    # unit 1: A1 = 90, A2 = 100 − 0 (best: fewest days) = 100 → A = 95; B = 80 → total 0.6·95 + 0.4·80 = 89
    assert s[1]["A"] == pytest.approx(95)
    assert s[1]["__total__"] == pytest.approx(89)
    # unit 2: A1 = 60, A2 = 0 → A = 30; B has no data: left out, weights renormalised → total 30
    assert s[2]["B"] is None
    assert s[2]["__total__"] == pytest.approx(30)
    assert index.rank({1: 89.0, 2: 30.0, 3: None}) == {1: 1, 2: 2, 3: None}
    assert index.rank({1: 50.0, 2: 50.0, 3: 40.0}) == {1: 1, 2: 1, 3: 3}


def test_three_colour_bands() -> None:
    bands = [index.band(r, 9) for r in range(1, 10)]
    assert bands == ["green"] * 3 + ["yellow"] * 3 + ["red"] * 3


def r(num: float, den: float) -> Result:
    return Result("ontime_rate", "按期办结率", "", False, num, den, num / den if den else None, "rate")


def test_fairness_shrinkage_toward_the_county() -> None:
    pool = r(800, 1000)  # county 80 %
    small = r(1, 1)  # one case, on time: raw 100 %
    big = r(95, 100)  # 95 of 100
    k = 10
    assert engine.shrink(small, pool, k) == pytest.approx((1 + 10 * 0.8) / 11)  # 81.8 %: barely above the county
    assert engine.shrink(big, pool, k) == pytest.approx((95 + 8) / 110)  # 93.6 %: keeps most of its lead
    assert engine.shrink(big, pool, k) > engine.shrink(small, pool, k)  # one lucky case does not top the ranking
    assert engine.shrink(r(0, 0), pool, k) == pytest.approx(0.8)  # no cases: the county value
