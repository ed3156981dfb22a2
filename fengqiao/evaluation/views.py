"""Staff pages: the 矛调指数 ranking, a unit's scorecard, the drill-down of a figure, points rankings
and 加星事项. Views parse input and render; the figures come from :mod:`.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fengqiao.cases import codes, policy
from fengqiao.cases.models import Case
from fengqiao.core.tasks import enqueue
from fengqiao.evaluation import actions, excel, periods, points, services
from fengqiao.evaluation.forms import StarForm
from fengqiao.evaluation.metrics import REGISTRY, display_value
from fengqiao.evaluation.models import Beneficiary, StarMark
from fengqiao.evaluation.tasks import rebuild_points
from fengqiao.org.choices import Role

BAND_LABELS = {"green": "绿", "yellow": "黄", "red": "红", "grey": "—"}


def _evaluator(request: HttpRequest) -> Any:
    user: Any = request.user
    if not services.may_evaluate(user):
        raise PermissionDenied
    return user


def _period(request: HttpRequest, default: periods.Period | None = None) -> tuple[periods.Period, str]:
    """The period asked for (default: the current month) and an error to show when it was refused."""
    text = request.GET.get("period", "")
    fallback = default or periods.current_month()
    if not text:
        return fallback, ""
    try:
        return periods.parse(text), ""
    except periods.PeriodError as exc:
        return fallback, str(exc)


def _month_choices() -> list[periods.Period]:
    p = periods.current_month()
    out = []
    for _i in range(12):
        out.append(p)
        p = p.previous()
    return out


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    user = _evaluator(request)
    kind = request.GET.get("kind", "town")
    if kind not in services.KINDS:
        raise Http404
    period, error = _period(request)
    if request.method == "POST":
        try:
            actions.recompute(user, period, kind)
            messages.success(request, gettext("已重新计算。"))
        except actions.EvalError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('evaluation:ranking')}?kind={kind}&period={period.code}")
    rows = services.ranking_rows(period, kind)
    _tree, roots = services.active_tree()
    if request.GET.get("format") == "xlsx":
        headers = ["名次", "单位", "得分", "较上期", "三色", "案件量"] + [d.name for d in roots]
        return excel.response(
            f"矛调指数排名-{services.KINDS[kind][1]}-{period.code}",
            headers,
            (
                [r.rank, r.unit.name, _round(r.score), _round(r.change), BAND_LABELS[r.band], r.volume]
                + [_round(r.dims.get(d.code)) for d in roots]
                for r in rows
            ),
        )
    in_scope = set(services.units_in_scope(user).filter(pk__in=[r.unit.pk for r in rows]).values_list("pk", flat=True))
    chart = {
        "units": [r.unit.short_name or r.unit.name for r in rows if r.score is not None],
        "scores": [round(r.score, 1) for r in rows if r.score is not None],
        "bands": [r.band for r in rows if r.score is not None],
        "title": gettext("三色图"),
    }
    return render(
        request,
        "evaluation/ranking.html",
        {
            "rows": rows,
            "roots": roots,
            "kind": kind,
            "kinds": [(k, label) for k, (_u, label) in services.KINDS.items()],
            "period": period,
            "period_error": error,
            "months": _month_choices(),
            "fresh": services.freshness(period, kind),
            "stale": services.is_stale(period, kind),
            "in_scope": in_scope,
            "chart": chart,
            "is_leader": user.has_role(Role.LEADER),
            "shrink_k": _tree.shrink_k,
        },
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


@login_required
def scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    user = _evaluator(request)
    unit = services.unit_for(user, pk)
    if unit is None:
        raise Http404
    period, error = _period(request)
    card = services.scorecard(unit, period)
    if request.GET.get("format") == "xlsx":
        return excel.response(
            f"指标-{unit.name}-{period.code}",
            ["指标", "建议口径", "数值", "收缩后", "分子", "分母", "计算公式"],
            (
                [
                    r.name,
                    "是" if r.proposed else "否",
                    r.display,
                    r.shrunk_display if r.shrunk is not None else "",
                    r.numerator,
                    r.denominator,
                    r.formula,
                ]
                for r in card["results"]
            ),
        )
    radar = {
        "labels": [d["name"] for d in card["dims"]],
        "unit": [None if d["score"] is None else round(d["score"], 1) for d in card["dims"]],
        "avg": [None if d["avg"] is None else round(d["avg"], 1) for d in card["dims"]],
        "unitName": unit.short_name or unit.name,
        "avgName": gettext("参评单位平均"),
    }
    return render(
        request,
        "evaluation/scorecard.html",
        {**card, "period_error": error, "months": _month_choices(), "radar": radar, "bands": BAND_LABELS},
    )


@login_required
def drilldown(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    user = _evaluator(request)
    unit = services.unit_for(user, pk)
    m = REGISTRY.get(key)
    if unit is None or m is None or m.external:
        raise Http404
    period, error = _period(request)
    drill = services.drilldown(user, unit, period, key)
    if request.GET.get("format") == "xlsx":
        den: Any = drill.den.select_related("owner_unit", "category").order_by("-created_at", "-pk")
        return excel.response(
            f"明细-{m.name}-{unit.name}-{period.code}",
            ["案件编码", "标题", "责任单位", "状态", "登记时间", "计入分子"],
            (
                [
                    codes.display(c.code),
                    c.title,
                    c.owner_unit.name,
                    c.get_state_display(),
                    c.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                    "是" if c.in_num else "否",
                ]
                for c in den.iterator()
            ),
        )
    page, shown = drill.page(request.GET.get("page"))
    return render(
        request,
        "evaluation/drilldown.html",
        {
            "unit": unit,
            "metric": m,
            "result": drill.result,
            "period": period,
            "period_error": error,
            "page": page,
            "hidden": drill.hidden(shown),
            "stored": drill.stored,
            "months": _month_choices(),
        },
    )


@login_required
def points_page(request: HttpRequest) -> HttpResponse:
    user = _evaluator(request)
    period, error = _period(request)
    who = request.GET.get("who", Beneficiary.MEDIATOR)
    if who not in Beneficiary.values:
        raise Http404
    if request.method == "POST":
        if not user.has_role(Role.SYSTEM_ADMIN, Role.LEADER):
            raise PermissionDenied
        enqueue(rebuild_points, user.pk)
        messages.success(request, gettext("已开始按事件重新核算积分，完成后刷新本页即可看到结果。"))
        return redirect(f"{reverse('evaluation:points')}?who={who}&period={period.code}")
    rows = points.standings(period.start, period.end, who)
    if request.GET.get("format") == "xlsx":
        return excel.response(
            f"调解积分-{period.code}",
            ["名次", "姓名", "单位", "积分", "积分条数", "涉及案件"],
            ([r["rank"], r["name"], r["unit"], r["points"], r["entries"], r["cases"]] for r in rows),
        )
    records = points.track_records([r["id"] for r in rows]) if who == Beneficiary.MEDIATOR else {}
    for r in rows:
        r["record"] = records.get(r["id"])
    return render(
        request,
        "evaluation/points.html",
        {
            "rows": rows[:200],
            "who": who,
            "whos": Beneficiary.choices,
            "period": period,
            "period_error": error,
            "months": _month_choices(),
        },
    )


@login_required
def stars(request: HttpRequest) -> HttpResponse:
    user = _evaluator(request)
    form = StarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = policy.restrict(Case.objects.all(), user).filter(code=codes.normalise(form.cleaned_data["code"])).first()
        if case is None:
            form.add_error("code", gettext("案件不存在或不在您的辖区。"))
        else:
            try:
                actions.star_case(user, case, form.cleaned_data["reason"])
                messages.success(request, gettext("已加星。"))
                return redirect("evaluation:stars")
            except actions.EvalError as exc:
                form.add_error("reason" if "reason" in exc.errors else None, exc.message)
    visible = policy.restrict(Case.objects.all(), user).values("pk")
    marks = StarMark.objects.filter(case_id__in=visible).select_related("case", "marked_by")[:100]
    return render(
        request, "evaluation/stars.html", {"form": form, "marks": marks, "is_leader": user.has_role(Role.LEADER)}
    )


@login_required
@require_POST
def unstar(request: HttpRequest, pk: int) -> HttpResponse:
    user = _evaluator(request)
    visible = policy.restrict(Case.objects.all(), user).values("pk")
    star = get_object_or_404(StarMark.objects.filter(case_id__in=visible, active=True), pk=pk)
    try:
        actions.unstar(user, star, request.POST.get("reason", ""))
        messages.success(request, gettext("已取消加星。"))
    except actions.EvalError as exc:
        messages.error(request, exc.message)
    return redirect("evaluation:stars")


__all__ = ["display_value"]
