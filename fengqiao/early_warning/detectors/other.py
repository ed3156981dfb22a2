"""民转刑 risk, sensitive periods, and backlogs of overdue or repeatedly transferred cases."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.early_warning.detectors.base import Detector, Finding, Param, register
from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched
from fengqiao.org.paths import subtree_q

VIOLENCE_WORDS = [
    "打人",
    "动手",
    "殴打",
    "打架",
    "持刀",
    "砍",
    "杀",
    "报复",
    "威胁",
    "恐吓",
    "同归于尽",
    "拼命",
    "放火",
    "烧了",
    "弄死",
    "扬言",
]


@register
class CrimeRisk(Detector):
    """民转刑风险：同一对当事人（申请人与被申请人，按加密指纹识别）在 M 天内反复发生纠纷（不少于 N 件），
    且事项描述中出现威胁、暴力类词语。分值为该对当事人的件数加上含暴力词语件数的 2 倍。"""

    code = "crime_risk"
    name = _("民转刑风险")
    kind = "crime"
    params = {
        "window_days": Param(180, _("统计天数"), 7, 730),
        "min_cases": Param(2, _("最少件数"), 2, 50),
        "words": Param(VIOLENCE_WORDS, _("威胁暴力词语"), kind="words"),
    }
    thresholds = {"blue": 3, "yellow": 4, "orange": 6, "red": 8}

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        return touched is None or bool(set(subject.get("pair", [])) & touched.persons)

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        since = snap.now - dt.timedelta(days=params["window_days"])
        pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
        for case_id, applicants in snap.persons_of_case.items():
            row = snap.rows[case_id]
            if row.created_at < since or (scope and not snap.in_scope(row, scope)):
                continue
            for a in applicants:
                for r in snap.respondents_of_case.get(case_id, []):
                    if a != r:
                        key = (a, r) if a < r else (r, a)
                        if case_id not in pairs[key]:
                            pairs[key].append(case_id)
        candidates = {
            k: v
            for k, v in pairs.items()
            if len(v) >= params["min_cases"] and (touched is None or set(k) & touched.persons)
        }
        texts = snap.texts([c for v in candidates.values() for c in v]) if candidates else {}
        words = [w for w in params["words"] if w]
        out = []
        for pair, cases in candidates.items():
            violent = [c for c in cases if any(w in texts.get(c, "") for w in words)]
            if not violent:
                continue
            cases = sorted(cases, key=lambda c: (snap.rows[c].created_at, c))
            hits = sorted({w for c in violent for w in words if w in texts.get(c, "")})
            text = _t("同一对当事人%(n)s件纠纷反复发生，其中%(v)s件出现“%(words)s”等威胁暴力表述，存在民转刑风险。") % {
                "n": len(cases),
                "v": len(violent),
                "words": "、".join(hits[:5]),
            }
            out.append(
                Finding(
                    key=f"x:{pair[0]}:{pair[1]}",
                    score=len(cases) + 2 * len(violent),
                    unit_id=snap.rows[cases[-1]].area_id or snap.root_id,
                    title=_t("民转刑风险"),
                    explanation=text,
                    case_ids=cases,
                    figures={"cases": len(cases), "violent": len(violent), "words": hits[:5]},
                    subject={"pair": list(pair)},
                    signal_at=snap.rows[cases[0]].created_at,
                )
            )
        return out


@register
class SensitivePeriodWatch(Detector):
    """敏感时期：在管理员配置的敏感时期内（如重大会议、节日），各乡镇在办的中、高风险或多人事项达到 N 件即
    提示加强稳控；同时，敏感时期内发布的其他预警按配置提升等级。分值为在办重点事项件数。"""

    code = "sensitive_period"
    name = _("敏感时期稳控")
    kind = "period"
    params = {"min_cases": Param(5, _("最少在办重点事项"), 1, 1000), "min_people": Param(5, _("多人事项人数"), 2, 1000)}
    thresholds = {"blue": 5, "yellow": 8, "orange": 12, "red": 20}

    def lookback_days(self, params: dict[str, Any]) -> int:
        return 0

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        from fengqiao.early_warning.models import SensitivePeriod

        today = snap.now.date()
        periods = list(SensitivePeriod.objects.filter(enabled=True, start__lte=today, end__gte=today))
        if not periods:
            return []
        qs = Case.objects.filter(state__in=sorted(OPEN_STATES))
        if scope:
            qs = qs.filter(subtree_q("owner_path", scope))
        by_area: dict[int, list[int]] = defaultdict(list)
        for pk, loc, owner, risk, people in qs.values_list(
            "pk", "location_unit_id", "owner_unit_id", "risk", "people_count"
        ):
            if risk in ("medium", "high") or people >= params["min_people"]:
                by_area[snap.area_of(loc or owner)].append(pk)
        out = []
        for period in periods:
            for area, cases in by_area.items():
                if len(cases) < params["min_cases"]:
                    continue
                text = _t(
                    "敏感时期“%(p)s”（%(a)s至%(b)s）内，%(area)s有%(n)s件中高风险或多人事项尚未办结，需加强稳控。"
                ) % {
                    "p": period.name,
                    "a": period.start,
                    "b": period.end,
                    "area": snap.town_name(area) or _t("本辖区"),
                    "n": len(cases),
                }
                out.append(
                    Finding(
                        key=f"s:{period.pk}:{area}",
                        score=len(cases),
                        unit_id=area or snap.root_id,
                        title=_t("敏感时期稳控：%(area)s") % {"area": snap.town_name(area)},
                        explanation=text,
                        case_ids=sorted(cases),
                        figures={"cases": len(cases), "period": period.name},
                        subject={"period": period.pk, "area": area},
                        signal_at=dt.datetime.combine(period.start, dt.time(), tzinfo=snap.now.tzinfo),
                    )
                )
        return out


@register
class OverdueCluster(Detector):
    """超期积压：同一责任单位在办且已超过办结时限的案件达到 N 件。分值为超期件数。"""

    code = "unit_overdue"
    name = _("单位超期积压")
    kind = "unit"
    params = {"min_cases": Param(3, _("最少超期件数"), 1, 10000)}
    thresholds = {"blue": 3, "yellow": 5, "orange": 10, "red": 20}

    def lookback_days(self, params: dict[str, Any]) -> int:
        return 0

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        states = sorted(OPEN_STATES - {State.PAUSED})
        qs = Case.objects.filter(state__in=states, due_at__lt=snap.now)
        if scope:
            qs = qs.filter(subtree_q("owner_path", scope))
        out = []
        for unit_id, n in qs.values_list("owner_unit_id").annotate(n=Count("id")):
            if n < params["min_cases"]:
                continue
            cases = list(qs.filter(owner_unit_id=unit_id).order_by("due_at").values_list("pk", flat=True)[:100])
            first_due = qs.filter(owner_unit_id=unit_id).order_by("due_at").values_list("due_at", flat=True).first()
            text = _t("%(unit)s有%(n)s件在办案件已超过办结时限，需督促清理积案。") % {
                "unit": snap.unit_name.get(unit_id, ""),
                "n": n,
            }
            out.append(
                Finding(
                    key=f"o:{unit_id}",
                    score=n,
                    unit_id=unit_id,
                    title=_t("超期积压：%(unit)s") % {"unit": snap.unit_name.get(unit_id, "")},
                    explanation=text,
                    case_ids=cases,
                    figures={"overdue": n},
                    subject={"unit": unit_id},
                    signal_at=first_due,
                )
            )
        return out


@register
class TransferCluster(Detector):
    """反复转办：M 天内被转办 2 次以上的案件，在同一现责任单位累计达到 N 件，提示职责不清或推诿。
    分值为此类案件件数。"""

    code = "unit_transfer"
    name = _("案件反复转办")
    kind = "unit"
    params = {
        "window_days": Param(60, _("统计天数"), 7, 365),
        "min_transfers": Param(2, _("每件最少转办次数"), 2, 20),
        "min_cases": Param(3, _("最少件数"), 1, 10000),
    }
    thresholds = {"blue": 3, "yellow": 5, "orange": 8, "red": 15}

    def lookback_days(self, params: dict[str, Any]) -> int:
        return 0

    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        since = snap.now - dt.timedelta(days=params["window_days"])
        moved = (
            CaseEvent.objects.filter(code__in=["case.transfer", "case.assign_unit", "case.return"], at__gte=since)
            .values_list("case_id")
            .annotate(n=Count("id"))
        )
        many = {c: n for c, n in moved if n >= params["min_transfers"]}
        if not many:
            return []
        qs = Case.objects.filter(pk__in=list(many))
        if scope:
            qs = qs.filter(subtree_q("owner_path", scope))
        by_unit: dict[int, list[int]] = defaultdict(list)
        for pk, unit_id in qs.values_list("pk", "owner_unit_id"):
            by_unit[unit_id].append(pk)
        out = []
        for unit_id, cases in by_unit.items():
            if len(cases) < params["min_cases"]:
                continue
            moves = Counter({c: many[c] for c in cases})
            text = _t("%(days)s天内%(n)s件案件被反复转办（合计%(m)s次），现均在%(unit)s，提示职责边界不清或推诿。") % {
                "days": params["window_days"],
                "n": len(cases),
                "m": sum(moves.values()),
                "unit": snap.unit_name.get(unit_id, ""),
            }
            out.append(
                Finding(
                    key=f"t:{unit_id}",
                    score=len(cases),
                    unit_id=unit_id,
                    title=_t("反复转办：%(unit)s") % {"unit": snap.unit_name.get(unit_id, "")},
                    explanation=text,
                    case_ids=sorted(cases),
                    figures={"cases": len(cases), "moves": sum(moves.values())},
                    subject={"unit": unit_id},
                    signal_at=since,
                )
            )
        return out
