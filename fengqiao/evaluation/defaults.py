"""The default 矛调指数 tree and points rules (installed by migration 0002; administrators edit them).

Report 000 names the six dimensions and five of the six level-1 indicators (重复信访率, 群众满意率,
事心双解率, 四级走访下降率, 就地化解率 "等"); it does not publish its 26 level-2 and 53 level-3
indicators or any weight. Everything else here — the placement of the indicators under the
dimensions, the extra indicators, every weight, direction and normalisation — is the project's
proposal (``proposed=True``), and docs/metrics.md says so.
"""

from __future__ import annotations

from typing import Any

# (code, name, kind, parent, weight, metric, direction, normalisation, proposed)
TREE: list[tuple[str, str, str, str | None, float, str, str, str, bool]] = [
    ("D1", "响应速度", "dimension", None, 0.15, "", "higher", "rate", False),
    ("D1.1", "响应率", "metric", "D1", 0.6, "response_rate", "higher", "rate", True),
    ("D1.2", "按时受理率", "metric", "D1", 0.4, "accept_ontime_rate", "higher", "rate", True),
    ("D2", "办理速度", "dimension", None, 0.2, "", "higher", "rate", False),
    ("D2.1", "按期办结率", "metric", "D2", 0.5, "ontime_rate", "higher", "rate", True),
    ("D2.2", "办结率", "metric", "D2", 0.3, "completion_rate", "higher", "rate", True),
    ("D2.3", "平均办理天数", "metric", "D2", 0.2, "avg_days", "lower", "minmax", True),
    ("D3", "办理质量", "dimension", None, 0.2, "", "higher", "rate", False),
    ("D3.1", "就地化解率", "metric", "D3", 0.35, "local_rate", "higher", "rate", False),
    ("D3.2", "事心双解率", "metric", "D3", 0.35, "dual_rate", "higher", "rate", False),
    ("D3.3", "调处成功率", "metric", "D3", 0.3, "success_rate", "higher", "rate", True),
    ("D4", "群众评价", "dimension", None, 0.2, "", "higher", "rate", False),
    ("D4.1", "群众满意率", "metric", "D4", 0.7, "satisfaction_rate", "higher", "rate", False),
    ("D4.2", "重复信访率", "metric", "D4", 0.3, "repeat_rate", "lower", "minmax", False),
    ("D5", "监督反馈", "dimension", None, 0.1, "", "higher", "rate", False),
    ("D5.1", "批示回复率", "metric", "D5", 0.5, "instruction_answer_rate", "higher", "rate", True),
    ("D5.2", "问责线索发生率", "metric", "D5", 0.5, "flagged_rate", "lower", "minmax", True),
    ("D6", "风险等级", "dimension", None, 0.15, "", "higher", "rate", False),
    ("D6.1", "高风险案件占比", "metric", "D6", 0.4, "high_risk_share", "lower", "minmax", True),
    ("D6.2", "四级走访下降率", "metric", "D6", 0.3, "visit_decline", "higher", "rate", False),
    ("D6.3", "万人成诉率", "metric", "D6", 0.3, "lawsuit_rate", "lower", "minmax", True),
]

# (code, name, trigger, beneficiary, points)
POINTS_RULES: list[tuple[str, str, str, str, int]] = [
    ("handled.cadre", "办结一件（承办人）", "close", "cadre", 2),
    ("handled.mediator", "参与调解办结一件（调解员）", "close", "mediator", 2),
    ("success.cadre", "化解成功（承办人）", "resolve", "cadre", 3),
    ("success.mediator", "调解成功（调解员）", "resolve", "mediator", 5),
    ("difficult.mediator", "化解疑难复杂纠纷（高风险或县级）", "resolve_difficult", "mediator", 3),
    ("satisfied.cadre", "群众满意（承办人）", "rate_satisfied", "cadre", 2),
    ("satisfied.mediator", "群众满意（调解员）", "rate_satisfied", "mediator", 2),
    ("basic.mediator", "群众基本满意（调解员）", "rate_basic", "mediator", 1),
    ("dual.cadre", "事心双解（回访确认）", "dual", "cadre", 2),
    ("dual.mediator", "事心双解（调解员）", "dual", "mediator", 2),
    ("reopen.cadre", "办结后重新办理（扣分）", "reopen", "cadre", -3),
    ("reopen.mediator", "化解后重新办理（扣分）", "reopen", "mediator", -3),
    ("star.cadre", "加星事项（承办人）", "star", "cadre", 5),
    ("star.mediator", "加星事项（调解员）", "star", "mediator", 5),
]


def install(tree_model: Any, node_model: Any, rule_model: Any) -> None:
    """Create the default tree and rules when none exist (used by the migration and by tests)."""
    if not tree_model.objects.exists():
        tree = tree_model.objects.create(name="矛调指数（默认）", is_active=True, shrink_k=10.0)
        made: dict[str, Any] = {}
        for i, (code, name, kind, parent, weight, metric, direction, norm, proposed) in enumerate(TREE):
            made[code] = node_model.objects.create(
                tree=tree,
                parent=made.get(parent) if parent else None,
                code=code,
                name=name,
                kind=kind,
                metric=metric,
                direction=direction,
                normalisation=norm,
                weight=weight,
                proposed=proposed,
                sort=i,
            )
    for code, name, trigger, who, points in POINTS_RULES:
        rule_model.objects.get_or_create(
            code=code, defaults={"name": name, "trigger": trigger, "beneficiary": who, "points": points}
        )
