"""Big-screen dashboards (/staff/dashboard/ and /staff/dashboard/<town code>/) and the statistics
page (/staff/stats/, its Excel export and /api/atlas/stats/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.atlas import crosstab, figures, rates, rollup_read
from fengqiao.atlas.filters import case_filter
from fengqiao.atlas.scope import ATLAS_ROLES, SCREEN_KINDS, scope_cases, user_scope
from fengqiao.atlas.tasks import refresh_dashboard
from fengqiao.atlas.views_map import illustrative, map_config
from fengqiao.core.tasks import enqueue
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from fengqiao.web.views.leader import role_required

atlas_view = role_required(*ATLAS_ROLES)


def _unit(code: str | None) -> Unit | None:
    return get_object_or_404(Unit, code=code, kind__in=SCREEN_KINDS) if code else None


def _refresh(request: HttpRequest) -> int:
    """Seconds between refreshes (?refresh=, 10–600; 45 by default)."""
    try:
        return min(max(int(request.GET.get("refresh", "45")), 10), 600)
    except ValueError:
        return 45


@atlas_view
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    scope = user_scope(request.user, _unit(code))
    data_url = reverse("atlas:dashboard_data", args=[code]) if code else reverse("atlas:dashboard_data_root")
    towns = []
    if scope.root is not None and scope.root.kind == UnitKind.COUNTY:
        towns = list(Unit.objects.filter(parent=scope.root, kind=UnitKind.TOWN).order_by("code"))
    ctx = {
        "scope": scope,
        "title": scope.root.name if scope.root else _("本辖区"),
        "data_url": data_url,
        "config": map_config(scope),
        "illustrative": illustrative(),
        "formulas": {k: v for k, v in rates.FORMULAS.items() if k != "close_rate"},  # the rates the screen shows
        "towns": towns,
        "has_rankings": figures.rankings_available(),
        "refresh": _refresh(request),
        "text": {
            "registered": _("登记"),
            "resolved": _("化解"),
            "local_rate": _("就地化解率"),
            "satisfaction_rate": _("满意率"),
            "trend_reg": _("登记"),
            "trend_res": _("化解"),
            "none": _("暂无"),
            "updated": _("更新于"),
            "rollup": _("数据更新于"),
            "failed": _("数据刷新失败，稍后重试"),
        },
    }
    return render(request, "atlas/dashboard.html", ctx)


@atlas_view
def dashboard_data(request: HttpRequest, code: str | None = None) -> HttpResponse:
    scope = user_scope(request.user, _unit(code))
    user_id, lang = request.user.pk, translation.get_language()
    data = figures.dashboard_payload(
        scope_cases(request.user, scope), scope, refresh=lambda: enqueue(refresh_dashboard, user_id, code, lang)
    )
    resp = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    resp["Cache-Control"] = "private, no-store"
    return resp


def _dims(params: Any) -> list[str]:
    return [params.get("d1", "town"), params.get("d2", "type"), params.get("d3", "")]


@atlas_view
def stats(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    form = case_filter(request.GET)
    dims = _dims(request.GET)
    table = error = None
    try:
        table = rollup_read.table(form.apply(scope_cases(request.user, scope)), scope, form, dims)
    except crosstab.CrossTabError as exc:
        error = str(exc)
    ctx = {
        "form": form,
        "dims": dims,
        "dimensions": [(k, str(v)) for k, v in crosstab.DIMENSIONS.items()],
        "table": table.as_dict() if table else None,
        "error": error,
        "formulas": crosstab.FORMULAS,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "atlas/stats.html", ctx)


@atlas_view
def stats_export(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    form = case_filter(request.GET)
    try:
        table = rollup_read.table(form.apply(scope_cases(request.user, scope)), scope, form, _dims(request.GET))
    except crosstab.CrossTabError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    title = _("矛盾纠纷统计（%(scope)s，导出于 %(at)s）") % {
        "scope": scope.root.name if scope.root else _("本辖区"),
        "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    body = crosstab.to_xlsx(table, title)
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="fengqiao-stats.xlsx"'
    return resp


class StatsAPI(APIView):
    """Cross-tab of the cases in the caller's scope (the statistics page's table)."""

    @extend_schema(
        operation_id="atlas_stats",
        summary="统计交叉表",
        parameters=[
            OpenApiParameter("d1", OpenApiTypes.STR, enum=list(crosstab.DIMENSIONS), description="行维度"),
            OpenApiParameter("d2", OpenApiTypes.STR, enum=list(crosstab.DIMENSIONS), description="列维度"),
            OpenApiParameter("d3", OpenApiTypes.STR, enum=list(crosstab.DIMENSIONS), description="第三维度（可选）"),
            OpenApiParameter("period", OpenApiTypes.STR, description="today/7d/30d/90d/month/year/365d/all/range"),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("category", OpenApiTypes.STR, description="一级纠纷类型代码"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "ended"]),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("colour", OpenApiTypes.STR, enum=["green", "yellow", "red"]),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(*ATLAS_ROLES):
            raise PermissionDenied(_("只有领导、监督和受理人员可以查看统计"))
        scope = user_scope(user)
        form = case_filter(request.query_params)
        if form.errors:
            raise ValidationError(form.errors.get_json_data())
        try:
            table = rollup_read.table(form.apply(scope_cases(user, scope)), scope, form, _dims(request.query_params))
        except crosstab.CrossTabError as exc:
            raise ValidationError({"dimensions": [str(exc)]}) from exc
        return Response(table.as_dict())
