"""Every state change of the evaluation app: check the actor's rights, change, write an EvalEvent and
an audit row in one transaction. Views, the API, imports and jobs all call these."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fengqiao.cases import policy
from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.evaluation import periods
from fengqiao.evaluation.models import (
    EvalEvent,
    ExternalFigure,
    FigureKind,
    StarMark,
    SupervisionStatus,
    UnitSupervision,
)
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit


class EvalError(Exception):
    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class EvalForbidden(EvalError):
    status = 403


def _grant_unit(user: Any, unit: Unit, roles: set[str] | set[Role] | frozenset[str]) -> Unit | None:
    """The user's unit (deepest first) whose subtree holds ``unit`` under one of ``roles``."""
    if not getattr(user, "is_authenticated", False):
        return None
    for g in sorted(user.role_grants(), key=lambda g: -len(g.unit.path)):
        if g.role in roles and unit.path.startswith(g.unit.path):
            return g.unit  # type: ignore[no-any-return]
    return None


def _require(user: Any, unit: Unit, roles: set[str] | set[Role], what: str) -> Unit | None:
    grant = _grant_unit(user, unit, roles)
    if grant is None and not (Role.SYSTEM_ADMIN in roles and getattr(user, "is_superuser", False)):
        raise EvalForbidden(gettext("您无权对“%(u)s”%(w)s。") % {"u": unit.name, "w": what})
    return grant


def _log(
    code: str, user: Any, unit: Unit | None, *, text: str = "", data: dict[str, Any] | None = None, **links: Any
) -> EvalEvent:
    event = EvalEvent.objects.create(code=code, actor=user, unit=unit, text=text, data=data or {}, **links)
    audit.record(
        f"evaluation.{code}",
        user=user,
        unit_id=unit.pk if unit else None,
        object_type="evaluation.evalevent",
        object_id=event.pk,
        detail=data or {},
    )
    return event


# --- external figures ------------------------------------------------------------------------------


def _check_figure(kind: str, period: str, value: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in FigureKind.values:
        errors["kind"] = [gettext("指标应为人口、一审诉讼或四级走访。")]
    pattern = r"\d{4}" if kind == FigureKind.POPULATION else r"\d{4}-(0[1-9]|1[0-2])"
    if not re.fullmatch(pattern, period or ""):
        example = "2026" if kind == FigureKind.POPULATION else "2026-11"
        errors["period"] = [gettext("期间格式应为 %(e)s。") % {"e": example}]
    else:
        try:
            periods.parse(period)
        except periods.PeriodError as exc:
            errors["period"] = [str(exc)]
    try:
        number = int(value)
        if number < 0 or str(value).strip() not in (str(number), f"{number}.0"):
            raise ValueError
        if number > 200_000_000:
            errors["value"] = [gettext("数值过大。")]
    except (TypeError, ValueError):
        errors["value"] = [gettext("数值应为不小于 0 的整数。")]
    return errors


def set_figure(user: Any, unit: Unit, kind: str, period: str, value: Any, *, source: str = "manual") -> ExternalFigure:
    """Enter (or correct) one external figure; the event keeps the value before and after."""
    errors = _check_figure(kind, period, value)
    if errors:
        raise EvalError(gettext("外部数据有误，未保存。"), errors)
    _require(user, unit, {Role.SYSTEM_ADMIN}, gettext("录入外部数据"))
    with transaction.atomic():
        row = ExternalFigure.objects.select_for_update().filter(unit=unit, kind=kind, period=period).first()
        before = row.value if row else None
        if row is None:
            row = ExternalFigure(unit=unit, kind=kind, period=period)
        row.value = int(value)
        row.source = source
        row.entered_by = user
        row.entered_at = timezone.now()
        row.save()
        _log(
            "figure.set",
            user,
            unit,
            data={"kind": kind, "period": period, "before": before, "after": row.value, "source": source},
        )
    return row


KIND_WORDS = {
    "人口": FigureKind.POPULATION,
    "常住人口": FigureKind.POPULATION,
    "诉讼": FigureKind.LAWSUITS,
    "一审诉讼": FigureKind.LAWSUITS,
    "成诉": FigureKind.LAWSUITS,
    "走访": FigureKind.VISITS,
    "四级走访": FigureKind.VISITS,
}
HEADERS = ["单位代码", "指标", "期间", "数值"]


def import_figures(user: Any, upload: Any) -> int:
    """Import an Excel sheet (单位代码 | 指标 | 期间 | 数值). All rows are checked first: one bad row
    and nothing is saved; the error names each bad row."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True, max_row=20001))
    except Exception as exc:
        raise EvalError(
            gettext("无法读取该文件，请上传 .xlsx 格式的 Excel 表格。"), {"file": [gettext("文件格式不正确。")]}
        ) from exc
    if not rows or [str(c or "").strip() for c in rows[0][:4]] != HEADERS:
        raise EvalError(gettext("表头应为：单位代码、指标、期间、数值。"), {"file": [gettext("第1行表头不正确。")]})
    if len(rows) > 20000:
        raise EvalError(gettext("一次最多导入两万行。"), {"file": [gettext("行数过多。")]})
    problems: list[str] = []
    parsed: list[tuple[Unit, str, str, int]] = []
    units = {u.code: u for u in Unit.objects.all()}
    for n, raw in enumerate(rows[1:], start=2):
        if raw is None or all(c in (None, "") for c in raw[:4]):
            continue
        code, kind_word, period, value = [*(raw[:4]), None, None, None, None][:4]
        unit = units.get(str(code or "").strip())
        kind = KIND_WORDS.get(str(kind_word or "").strip(), str(kind_word or "").strip())
        if isinstance(period, (dt.date, dt.datetime)):
            period = f"{period:%Y-%m}" if kind != FigureKind.POPULATION else f"{period:%Y}"
        period = str(period or "").strip()
        if unit is None:
            problems.append(gettext("第%(n)s行：单位代码“%(c)s”不存在。") % {"n": n, "c": str(code or "")[:32]})
            continue
        errs = _check_figure(kind, period, value)
        for msgs in errs.values():
            problems.extend(gettext("第%(n)s行：%(m)s") % {"n": n, "m": m} for m in msgs)
        if not errs:
            if _grant_unit(user, unit, {Role.SYSTEM_ADMIN}) is None and not getattr(user, "is_superuser", False):
                problems.append(gettext("第%(n)s行：您无权录入“%(u)s”的数据。") % {"n": n, "u": unit.name})
            else:
                parsed.append((unit, kind, period, int(value)))  # type: ignore[arg-type]
    if problems:
        raise EvalError(gettext("导入失败，未保存任何数据。"), {"file": problems[:50]})
    if not parsed:
        raise EvalError(gettext("表格中没有数据行。"), {"file": [gettext("没有数据行。")]})
    with transaction.atomic():
        for unit, kind, period, value in parsed:
            set_figure(user, unit, kind, period, value, source="excel")
    return len(parsed)


# --- 挂牌督办 --------------------------------------------------------------------------------------


def open_supervision(user: Any, unit: Unit, *, reason: str, deadline: dt.date, period: str = "") -> UnitSupervision:
    errors: dict[str, list[str]] = {}
    if not (reason or "").strip():
        errors["reason"] = [gettext("请填写督办事由。")]
    if deadline is None or deadline < timezone.localdate():
        errors["deadline"] = [gettext("整改期限不能早于今天。")]
    if errors:
        raise EvalError(gettext("挂牌督办信息有误。"), errors)
    grant = _require(user, unit, {Role.LEADER}, gettext("挂牌督办"))
    if grant is not None and grant.pk == unit.pk:
        raise EvalForbidden(gettext("不能对本单位挂牌督办，应由上级领导挂牌。"))
    with transaction.atomic():
        sup = UnitSupervision.objects.create(
            unit=unit, reason=reason.strip(), deadline=deadline, period=period, opened_by=user
        )
        _log(
            "supervision.open",
            user,
            unit,
            text=sup.reason,
            supervision=sup,
            data={"supervision": sup.pk, "deadline": deadline.isoformat(), "period": period},
        )
    return sup


def may_follow(user: Any, sup: UnitSupervision) -> bool:
    roles = {Role.LEADER, Role.HANDLER, Role.DISPATCHER}
    return _grant_unit(user, sup.unit, roles) is not None


def follow_up(user: Any, sup: UnitSupervision, text: str) -> EvalEvent:
    if not (text or "").strip():
        raise EvalError(gettext("请填写整改进展。"), {"text": [gettext("请填写整改进展。")]})
    if sup.status != SupervisionStatus.OPEN:
        raise EvalError(gettext("该督办已销号。"))
    if not may_follow(user, sup):
        raise EvalForbidden(gettext("您无权报送该督办的整改进展。"))
    with transaction.atomic():
        return _log(
            "supervision.follow", user, sup.unit, text=text.strip(), supervision=sup, data={"supervision": sup.pk}
        )


def close_supervision(user: Any, sup: UnitSupervision, conclusion: str) -> UnitSupervision:
    if not (conclusion or "").strip():
        raise EvalError(gettext("请填写销号意见。"), {"conclusion": [gettext("请填写销号意见。")]})
    grant = _require(user, sup.unit, {Role.LEADER}, gettext("销号"))
    if grant is not None and grant.pk == sup.unit_id:
        raise EvalForbidden(gettext("被督办单位不能自行销号。"))
    with transaction.atomic():
        locked = UnitSupervision.objects.select_for_update().get(pk=sup.pk)
        if locked.status != SupervisionStatus.OPEN:
            raise EvalError(gettext("该督办已销号。"))
        locked.status = SupervisionStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.conclusion = conclusion.strip()
        locked.save(update_fields=["status", "closed_at", "conclusion"])
        _log(
            "supervision.close",
            user,
            sup.unit,
            text=locked.conclusion,
            supervision=locked,
            data={"supervision": sup.pk},
        )
    return locked


# --- 加星事项 --------------------------------------------------------------------------------------


def star_case(user: Any, case: Case, reason: str) -> StarMark:
    if not (reason or "").strip():
        raise EvalError(gettext("请填写加星理由。"), {"reason": [gettext("请填写加星理由。")]})
    if not user.has_role(Role.LEADER) or not policy.can_view(user, case):
        raise EvalForbidden(gettext("只有能查看该案件的领导可以加星。"))
    with transaction.atomic():
        if StarMark.objects.filter(case=case, active=True).exists():
            raise EvalError(gettext("该案件已加星。"))
        star = StarMark.objects.create(case=case, reason=reason.strip()[:200], marked_by=user)
        _log("star.mark", user, case.owner_unit, text=star.reason, star=star, data={"case": case.code})
    from fengqiao.evaluation.points import award_star

    transaction.on_commit(lambda: award_star(star.pk))
    return star


def unstar(user: Any, star: StarMark, reason: str) -> StarMark:
    if not user.has_role(Role.LEADER) or not policy.can_view(user, star.case):
        raise EvalForbidden(gettext("只有能查看该案件的领导可以取消加星。"))
    with transaction.atomic():
        StarMark.objects.filter(pk=star.pk).update(active=False)
        star.active = False
        _log(
            "star.unmark",
            user,
            star.case.owner_unit,
            text=(reason or "").strip(),
            star=star,
            data={"case": star.case.code},
        )
    return star


# --- recomputation --------------------------------------------------------------------------------


def recompute(user: Any, period: periods.Period, kind: str) -> int:
    if not user.has_role(Role.LEADER, Role.SYSTEM_ADMIN):
        raise EvalForbidden(gettext("只有领导或系统管理员可以重新计算。"))
    from fengqiao.evaluation.services import compute_index

    rows = compute_index(period, kind)
    audit.record("evaluation.index.recompute", user=user, detail={"period": period.code, "kind": kind})
    return len(rows)


def rebuild_points(user: Any, *, from_scratch: bool = False) -> Any:
    """Derive the 调解积分 ledger from the events again (``points.rebuild``) and record who asked and
    what it added (an ``EvalEvent`` and its audit row). ``user`` None: an operator's command."""
    if user is not None and not user.has_role(Role.LEADER, Role.SYSTEM_ADMIN):
        raise EvalForbidden(gettext("只有领导或系统管理员可以重新核算积分。"))
    from fengqiao.evaluation.points import rebuild

    report = rebuild(from_scratch=from_scratch)
    _log(
        "points.rebuild",
        user,
        None,
        data={"added": report.added, "entries": report.total_entries, "from_scratch": from_scratch},
    )
    return report
