"""Key persons (重点人员): the same person by keyed ID/phone hash — never by plain number."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Channel
from fengqiao.early_warning.detectors.base import Detector, Finding, Param, register
from fengqiao.early_warning.detectors.snapshot import RISK_RANK, Snapshot, Touched


class PersonDetector(Detector):
    kind = "person"

    def persons(self, snap: Snapshot, touched: Touched | None) -> list[str]:
        if touched is None:
            return list(snap.cases_of)
        return [p for p in touched.persons if p in snap.cases_of]

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or subject.get("person") in touched.persons

    def window_cases(self, snap: Snapshot, person: str, days: int, scope: str) -> list[int]:
        since = snap.now - dt.timedelta(days=days)
        return [
            c
            for c in snap.cases_of[person]
            if snap.rows[c].created_at >= since and (not scope or snap.in_scope(snap.rows[c], scope))
        ]

    def finding(
        self, snap: Snapshot, person: str, cases: list[int], score: float, title: str, text: str, **figures: Any
    ) -> Finding:
        last = snap.rows[cases[-1]]
        units = sorted({snap.unit_name.get(snap.rows[c].owner_unit_id, "") for c in cases} - {""})
        return Finding(
            key=f"p:{person}",
            score=score,
            unit_id=last.area_id or snap.root_id,
            title=title,
            explanation=text,
            case_ids=cases,
            figures={"cases": len(cases), "units": units, **figures},
            subject={"person": person},
            signal_at=snap.rows[cases[0]].created_at,
        )


@register
class RepeatPerson(PersonDetector):
    """重复反映人员：同一当事人（按证件号或电话的加密检索指纹识别）在 M 天内作为申请人登记了 N 件以上案件。
    分值为件数；件数越多，等级越高。"""

    code = "person_repeat"
    name = _("重复反映人员")
    params = {
        "window_days": Param(90, _("统计天数"), 7, 365),
        "min_cases": Param(3, _("最少件数"), 2, 100),
    }
    thresholds = {"blue": 3, "yellow": 4, "orange": 6, "red": 8}

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        for person in self.persons(snap, touched):
            cases = self.window_cases(snap, person, params["window_days"], scope)
            if len(cases) >= params["min_cases"]:
                text = _t("同一当事人在%(days)s天内反映%(n)s件事项，涉及%(types)s。") % {
                    "days": params["window_days"],
                    "n": len(cases),
                    "types": "、".join(sorted({snap.type_name.get(snap.rows[c].cat1, "") for c in cases} - {""}))
                    or _t("未分类事项"),
                }
                out.append(self.finding(snap, person, cases, len(cases), _t("重复反映人员"), text))
        return out


@register
class RevisitAfterClosure(PersonDetector):
    """重复访：当事人的案件化解或办结后 D 天内，同一人又反映同类事项。分值为“结案后再反映”的次数。"""

    code = "person_revisit"
    name = _("结案后重复访")
    params = {
        "window_days": Param(90, _("新反映统计天数"), 7, 365),
        "after_days": Param(60, _("结案后天数"), 1, 365),
    }
    thresholds = {"blue": 1, "yellow": 2, "orange": 3, "red": 5}

    def lookback_days(self, params: dict[str, Any]) -> int:
        return int(params["window_days"]) + int(params["after_days"]) + 30

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        since = snap.now - dt.timedelta(days=params["window_days"])
        gap = dt.timedelta(days=params["after_days"])
        for person in self.persons(snap, touched):
            cases = snap.cases_of[person]
            if len(cases) < 2:
                continue
            revisits: list[int] = []
            for c in cases:
                row = snap.rows[c]
                if row.created_at < since or (scope and not snap.in_scope(row, scope)):
                    continue
                earlier = [
                    e
                    for e in cases
                    if e != c
                    and snap.rows[e].ended_at is not None
                    and snap.rows[e].cat1 == row.cat1
                    and snap.rows[e].ended_at <= row.created_at <= snap.rows[e].ended_at + gap  # type: ignore[operator]
                ]
                if earlier:
                    revisits.append(c)
            if revisits:
                firsts = [e for e in cases if snap.rows[e].ended_at is not None and e not in revisits][:3]
                evidence = sorted(set(firsts + revisits), key=lambda c: (snap.rows[c].created_at, c))
                text = _t("当事人的事项化解或办结后%(days)s天内又反映同类事项%(n)s次，原处理结果可能未被接受。") % {
                    "days": params["after_days"],
                    "n": len(revisits),
                }
                f = self.finding(
                    snap, person, evidence, len(revisits), _t("结案后重复访"), text, revisits=len(revisits)
                )
                f.signal_at = snap.rows[revisits[0]].created_at
                out.append(f)
        return out


@register
class MultiChannelPerson(PersonDetector):
    """多渠道反映：同一当事人在 M 天内通过 K 个以上不同渠道（来访、热线、网格、警情、信访……）反映。
    分值为渠道数。"""

    code = "person_multichannel"
    name = _("多渠道反映人员")
    params = {
        "window_days": Param(60, _("统计天数"), 7, 365),
        "min_channels": Param(3, _("最少渠道数"), 2, 12),
    }
    thresholds = {"blue": 3, "yellow": 4, "orange": 5, "red": 6}

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        for person in self.persons(snap, touched):
            cases = self.window_cases(snap, person, params["window_days"], scope)
            channels = Counter(snap.rows[c].channel for c in cases)
            if len(channels) >= params["min_channels"]:
                names = "、".join(str(dict(Channel.choices).get(ch, ch)) for ch in sorted(channels))
                text = _t("同一当事人在%(days)s天内通过%(k)s个渠道反映：%(names)s。") % {
                    "days": params["window_days"],
                    "k": len(channels),
                    "names": names,
                }
                out.append(
                    self.finding(snap, person, cases, len(channels), _t("多渠道反映人员"), text, channels=len(channels))
                )
        return out


@register
class RisingRiskPerson(PersonDetector):
    """风险升级人员：同一当事人 M 天内的多件案件中，研判风险等级逐步升高（最后一件高于第一件且不低于中风险）。
    分值为各件风险等级之和（低 0、中 1、高 2）加件数。"""

    code = "person_rising_risk"
    name = _("风险升级人员")
    params = {"window_days": Param(90, _("统计天数"), 7, 365), "min_cases": Param(2, _("最少件数"), 2, 50)}
    thresholds = {"blue": 3, "yellow": 4, "orange": 5, "red": 7}

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        out = []
        for person in self.persons(snap, touched):
            cases = self.window_cases(snap, person, params["window_days"], scope)
            if len(cases) < params["min_cases"]:
                continue
            ranks = [RISK_RANK.get(snap.rows[c].risk, 0) for c in cases]
            if ranks[-1] > ranks[0] and ranks[-1] >= 1:
                score = sum(ranks) + len(cases)
                text = _t("同一当事人%(n)s件事项的风险等级由“%(a)s”升至“%(b)s”，矛盾有激化趋势。") % {
                    "n": len(cases),
                    "a": _risk_word(ranks[0]),
                    "b": _risk_word(ranks[-1]),
                }
                out.append(self.finding(snap, person, cases, score, _t("风险升级人员"), text, risk_ranks=ranks))
        return out


def _risk_word(rank: int) -> str:
    return [_t("低风险"), _t("中风险"), _t("高风险")][rank]
