"""Key issues (重点事项) and key groups (重点群体): many people, one matter; persons acting together.

Text similarity reuses the intake's MinHash signatures (fengqiao.triage.duplicates): cases whose
signatures share an LSH band and whose estimated Jaccard similarity reaches the bar are linked, and
the connected components of those links (scipy / networkx) are the clusters."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import networkx as nx
import numpy as np
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fengqiao.early_warning.detectors.base import Detector, Finding, Param, register
from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched

MAX_BUCKET = 200  # a band bucket larger than this is boilerplate text, not one matter


def text_clusters(snap: Snapshot, days: int, similar: float, scope: str = "") -> list[list[int]]:
    """Clusters (≥ 2 cases) of similar texts registered in the last ``days`` days, each sorted by time."""
    key = f"clusters:{days}:{similar}:{scope}"
    if key in snap.cache:
        return snap.cache[key]  # type: ignore[no-any-return]
    since = snap.now - dt.timedelta(days=days)
    sigs = {c: s for c, s in snap.signatures(since).items() if not scope or snap.in_scope(snap.rows[c], scope)}
    ids = list(sigs)
    pos = {c: i for i, c in enumerate(ids)}
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for c, (_values, bands) in sigs.items():
        for b, k in enumerate(bands):
            buckets[(b, k)].append(c)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 2 <= len(members) <= MAX_BUCKET:
            for i, a in enumerate(members):
                for b2 in members[i + 1 :]:
                    pairs.add((a, b2) if a < b2 else (b2, a))
    rows, cols = [], []
    for a, b2 in pairs:
        if float(np.count_nonzero(sigs[a][0] == sigs[b2][0])) / len(sigs[a][0]) >= similar:
            rows.append(pos[a])
            cols.append(pos[b2])
    clusters: list[list[int]] = []
    if rows:
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(ids)))
        _, labels = connected_components(graph, directed=False)
        groups: dict[int, list[int]] = defaultdict(list)
        linked = set(rows) | set(cols)
        for i in linked:
            groups[int(labels[i])].append(ids[i])
        clusters = [sorted(g, key=lambda c: (snap.rows[c].created_at, c)) for g in groups.values() if len(g) >= 2]
    snap.cache[key] = clusters
    return clusters


def _owner(snap: Snapshot, cases: list[int]) -> int:
    areas = Counter(snap.rows[c].area_id for c in cases)
    area, n = areas.most_common(1)[0]
    return area if n == len(cases) and area else snap.root_id


def _places(snap: Snapshot, cases: list[int]) -> str:
    return "、".join(sorted({snap.town_name(snap.rows[c].area_id) for c in cases} - {""}))


class IssueDetector(Detector):
    kind = "issue"
    match_by_cases = True

    def key(self, cases: list[int]) -> str:
        return f"c:{cases[0]}"

    def clusters(self, snap: Snapshot, params: dict[str, Any], scope: str) -> list[list[int]]:
        return text_clusters(snap, params["window_days"], params["similarity"], scope)


@register
class GroupIssue(IssueDetector):
    """群体性事项：W 天内不同当事人反映内容相似的事项（MinHash 估计的文本相似度不低于阈值）达到 N 人以上，
    提示“多人一事”，需统一研判、统一答复。分值为涉及的不同当事人数（无法识别当事人的，按涉及人数计）。"""

    code = "issue_group"
    name = _("群体性事项")
    params = {
        "window_days": Param(30, _("统计天数"), 3, 120),
        "similarity": Param(0.5, _("文本相似度"), 0.2, 0.95, kind="float"),
        "min_people": Param(3, _("最少人数"), 2, 500),
    }
    thresholds = {"blue": 3, "yellow": 5, "orange": 10, "red": 30}

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        for cases in self.clusters(snap, params, scope):
            persons = {p for c in cases for p in snap.persons_of_case.get(c, [])}
            unknown = sum(max(snap.rows[c].people, 1) for c in cases if not snap.persons_of_case.get(c))
            people = len(persons) + unknown
            if people < params["min_people"]:
                continue
            text = _t("%(days)s天内%(people)s名不同当事人反映内容相似的事项%(n)s件（%(places)s），疑为群体性诉求。") % {
                "days": params["window_days"],
                "people": people,
                "n": len(cases),
                "places": _places(snap, cases),
            }
            out.append(
                Finding(
                    key=self.key(cases),
                    score=people,
                    unit_id=_owner(snap, cases),
                    title=_t("群体性事项"),
                    explanation=text,
                    case_ids=cases,
                    figures={"people": people, "cases": len(cases)},
                    subject={"cluster": cases[0]},
                    signal_at=snap.rows[cases[0]].created_at,
                )
            )
        return out


@register
class GrowingIssue(IssueDetector):
    """快速增长事项：一类相似事项最近 R 天的新增件数不少于 N 件，且是前 R 天的 K 倍以上。分值为近 R 天件数。"""

    code = "issue_growth"
    name = _("快速增长事项")
    params = {
        "window_days": Param(30, _("统计天数"), 7, 120),
        "recent_days": Param(7, _("近期天数"), 1, 30),
        "similarity": Param(0.5, _("文本相似度"), 0.2, 0.95, kind="float"),
        "min_recent": Param(4, _("近期最少件数"), 2, 500),
        "ratio": Param(2.0, _("增长倍数"), 1.0, 50, kind="float"),
    }
    thresholds = {"blue": 4, "yellow": 6, "orange": 10, "red": 20}

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        recent = snap.now - dt.timedelta(days=params["recent_days"])
        before = recent - dt.timedelta(days=params["recent_days"])
        for cases in self.clusters(snap, params, scope):
            n_recent = sum(1 for c in cases if snap.rows[c].created_at >= recent)
            n_before = sum(1 for c in cases if before <= snap.rows[c].created_at < recent)
            if n_recent < params["min_recent"] or n_recent < params["ratio"] * max(n_before, 1):
                continue
            text = _t("相似事项近%(d)s天新增%(a)s件，前%(d)s天为%(b)s件，增长较快（%(places)s）。") % {
                "d": params["recent_days"],
                "a": n_recent,
                "b": n_before,
                "places": _places(snap, cases),
            }
            out.append(
                Finding(
                    key=self.key(cases),
                    score=n_recent,
                    unit_id=_owner(snap, cases),
                    title=_t("快速增长事项"),
                    explanation=text,
                    case_ids=cases,
                    figures={"recent": n_recent, "before": n_before, "cases": len(cases)},
                    subject={"cluster": cases[0]},
                    signal_at=min(snap.rows[c].created_at for c in cases if snap.rows[c].created_at >= recent),
                )
            )
        return out


@register
class PersonNetwork(Detector):
    """重点群体（关系网络）：以当事人为节点建图（networkx）：同一案件的共同申请人相连；证件号或电话相同的记录
    视为同一人；在 D 天内提交相似诉求（文本相似度达阈值）的申请人相连，视为“共同行动”。
    一个连通群体达到 N 人、涉及 M 件以上案件即预警。分值为群体人数。"""

    code = "network_group"
    name = _("重点群体关系网络")
    kind = "network"
    match_by_cases = True
    params = {
        "window_days": Param(60, _("统计天数"), 7, 365),
        "together_days": Param(3, _("共同行动间隔天数"), 0, 30),
        "similarity": Param(0.6, _("文本相似度"), 0.2, 0.95, kind="float"),
        "min_people": Param(4, _("最少人数"), 3, 500),
        "min_cases": Param(2, _("最少件数"), 2, 500),
    }
    thresholds = {"blue": 4, "yellow": 6, "orange": 10, "red": 20}

    def graph(self, snap: Snapshot, params: dict[str, Any], scope: str) -> nx.Graph:
        g = nx.Graph()
        since = snap.now - dt.timedelta(days=params["window_days"])
        for case_id, persons in snap.persons_of_case.items():
            row = snap.rows[case_id]
            if row.created_at < since or (scope and not snap.in_scope(row, scope)):
                continue
            for p in persons:
                g.add_node(p)
                g.nodes[p].setdefault("cases", set()).add(case_id)
            for i, a in enumerate(persons):
                for b in persons[i + 1 :]:
                    if a != b:
                        g.add_edge(a, b, kind="co_party")
        together = dt.timedelta(days=params["together_days"])
        for cases in text_clusters(snap, params["window_days"], params["similarity"], scope):
            for i, ca in enumerate(cases):
                for cb in cases[i + 1 :]:
                    if snap.rows[cb].created_at - snap.rows[ca].created_at > together:
                        break
                    for pa in snap.persons_of_case.get(ca, []):
                        for pb in snap.persons_of_case.get(cb, []):
                            if pa != pb and not g.has_edge(pa, pb):
                                g.add_edge(pa, pb, kind="together")
        return g

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        g = self.graph(snap, params, scope)
        out = []
        for comp in nx.connected_components(g):
            if len(comp) < params["min_people"]:
                continue
            cases = sorted(
                {c for p in comp for c in g.nodes[p].get("cases", ())}, key=lambda c: (snap.rows[c].created_at, c)
            )
            if len(cases) < params["min_cases"]:
                continue
            sub = g.subgraph(comp)
            kinds = Counter(d.get("kind") for _, _, d in sub.edges(data=True))
            hub = max(comp, key=lambda p: (sub.degree(p), p))
            text = _t(
                "%(people)s名当事人相互关联（共同申请%(co)s处、相近时间提交相似诉求%(tg)s处），涉及%(n)s件事项，"
                "疑有组织的共同行动。"
            ) % {"people": len(comp), "co": kinds.get("co_party", 0), "tg": kinds.get("together", 0), "n": len(cases)}
            out.append(
                Finding(
                    key=f"g:{min(comp)}",
                    score=len(comp),
                    unit_id=_owner(snap, cases),
                    title=_t("重点群体"),
                    explanation=text,
                    case_ids=cases,
                    figures={"people": len(comp), "cases": len(cases), "links": sub.number_of_edges()},
                    subject={"persons": sorted(comp), "hub": hub},
                    signal_at=snap.rows[cases[0]].created_at,
                )
            )
        return out
