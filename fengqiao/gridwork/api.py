"""The grid-work API (in the OpenAPI schema): patrols (start, check-ins in batches, stop), visits
(list, plan, record), on-the-spot reports and the supervision figures. Scoped like the pages; every
change goes through fengqiao.gridwork.actions, whose errors the API's handler turns into 400/403/409."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.cases.actions import ActionForbidden, ActionInvalid
from fengqiao.gridwork import actions, inputs, metrics
from fengqiao.gridwork.models import Patrol, Visit
from fengqiao.gridwork.policy import GRID_KINDS, SUPERVISE_ROLES, can_view_grid, restrict
from fengqiao.org.models import Unit

MAX_BATCH = 500


class Pages(PageNumberPagination):
    page_size = 50


class PatrolSerializer(serializers.ModelSerializer[Patrol]):
    grid_name = serializers.CharField(source="grid.name", read_only=True)

    class Meta:
        model = Patrol
        fields = ["id", "grid", "grid_name", "client_id", "started_at", "ended_at", "note", "checkin_count"]


class VisitSerializer(serializers.ModelSerializer[Visit]):
    subject_name = serializers.CharField(source="masked_name", read_only=True)
    subject_kind_label = serializers.CharField(source="get_subject_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "grid",
            "subject_kind",
            "subject_kind_label",
            "subject_name",
            "address",
            "purpose",
            "due_date",
            "status",
            "status_label",
            "done_at",
            "outcome",
            "outcome_label",
            "notes",
        ]


class GridInput(serializers.Serializer[Any]):
    grid = serializers.IntegerField(help_text="网格 id")


class StartInput(GridInput, inputs.StartPatrolInput):
    pass


class BatchInput(serializers.Serializer[Any]):
    checkins = inputs.CheckInInput(many=True, help_text="签到点（每批最多500个；client_id 重复的点不重复保存）")


class BatchResult(serializers.Serializer[Any]):
    saved = serializers.IntegerField()
    already = serializers.IntegerField()
    refused = serializers.DictField(child=serializers.CharField(), help_text="未保存的点：序号 → 原因")


class PlanInput(GridInput, inputs.PlanVisitInput):
    pass


class ReportApiInput(GridInput, inputs.ReportInput):
    pass


class CaseRef(serializers.Serializer[Any]):
    code = serializers.CharField()
    state = serializers.CharField()


class RateFigure(serializers.Serializer[Any]):
    name = serializers.CharField()
    formula = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="0–1；分母为0时为 null")


class Figures(serializers.Serializer[Any]):
    unit = serializers.IntegerField()
    month = serializers.CharField()
    grids = serializers.IntegerField()
    covered = serializers.IntegerField()
    uncovered = serializers.ListField(child=serializers.CharField())
    overdue_visits = serializers.IntegerField()
    grid_rate = RateFigure()


def _body(request: Request) -> dict[str, Any]:
    """The request body as a dict (a JSON list or scalar is not an object: refused)."""
    if not hasattr(request.data, "items"):
        raise ActionInvalid("请求格式有误。")
    return dict(request.data.items())


def _grid(request: Request) -> Unit:
    raw = str(_body(request).get("grid", ""))
    grid = Unit.objects.filter(pk=int(raw), kind__in=GRID_KINDS).first() if raw.isdigit() else None
    if grid is None:
        raise ActionInvalid("请选择网格。", {"grid": ["请选择网格。"]})
    if not can_view_grid(request.user, grid):
        raise ActionForbidden("您无权在该网格办理此项工作。")
    return grid


class PatrolList(generics.ListAPIView[Patrol]):
    serializer_class = PatrolSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        return restrict(Patrol.objects.select_related("grid"), self.request.user).order_by("-started_at", "-pk")

    @extend_schema(request=StartInput, responses={201: PatrolSerializer})
    def post(self, request: Request) -> Response:
        data = {k: v for k, v in _body(request).items() if k != "grid"}
        patrol = actions.start_patrol(request.user, _grid(request), data)
        return Response(PatrolSerializer(patrol).data, status=201)


class PatrolCheckins(APIView):
    @extend_schema(request=BatchInput, responses=BatchResult)
    def post(self, request: Request, pk: int) -> Response:
        """Save a batch of queued check-ins; each is idempotent on its client id, so a batch resent
        after a dropped connection saves only what was missing. Bad points are reported by index."""
        patrol = get_object_or_404(restrict(Patrol.objects.all(), request.user), pk=pk)
        items = _body(request).get("checkins")
        if not isinstance(items, list) or not items:
            raise ActionInvalid("请提交签到点。", {"checkins": ["请提交签到点。"]})
        if len(items) > MAX_BATCH:
            raise ActionInvalid("每批最多500个签到点。", {"checkins": ["每批最多500个签到点。"]})
        saved = already = 0
        errors: dict[str, str] = {}
        for i, item in enumerate(items):
            try:
                _point, created = actions.check_in(request.user, patrol, item if isinstance(item, dict) else {})
            except ActionInvalid as exc:
                errors[str(i)] = exc.message if not exc.errors else str(next(iter(exc.errors.values()))[0])
                continue
            saved += created
            already += not created
        return Response({"saved": saved, "already": already, "refused": errors})


class PatrolStop(APIView):
    @extend_schema(request=inputs.StopPatrolInput, responses=PatrolSerializer)
    def post(self, request: Request, pk: int) -> Response:
        patrol = get_object_or_404(restrict(Patrol.objects.all(), request.user), pk=pk)
        return Response(PatrolSerializer(actions.stop_patrol(request.user, patrol, request.data)).data)


class VisitList(generics.ListAPIView[Visit]):
    serializer_class = VisitSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        return restrict(Visit.objects.all(), self.request.user).order_by("due_date", "pk")

    @extend_schema(request=PlanInput, responses={201: VisitSerializer})
    def post(self, request: Request) -> Response:
        data = {k: v for k, v in _body(request).items() if k != "grid"}
        return Response(VisitSerializer(actions.plan_visit(request.user, _grid(request), data)).data, status=201)


class VisitRecord(APIView):
    @extend_schema(request=inputs.RecordVisitInput, responses=VisitSerializer)
    def post(self, request: Request, pk: int) -> Response:
        visit = get_object_or_404(restrict(Visit.objects.all(), request.user), pk=pk)
        return Response(VisitSerializer(actions.record_visit(request.user, visit, request.data)).data)


class ReportCreate(APIView):
    @extend_schema(request=ReportApiInput, responses={201: CaseRef})
    def post(self, request: Request) -> Response:
        data = {k: v for k, v in _body(request).items() if k not in ("grid", "photo")}
        case = actions.report(request.user, _grid(request), data, request.FILES.get("photo"))
        return Response({"code": case.display_code, "state": case.state}, status=201)


class SupervisionFigures(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("unit", int), OpenApiParameter("month", str, description="YYYY-MM")],
        responses=Figures,
    )
    def get(self, request: Request) -> Response:
        from fengqiao.gridwork.views_supervision import month_bounds

        user: Any = request.user
        if not user.has_role(*SUPERVISE_ROLES):
            raise ActionForbidden("您无权查看网格督导数据。")
        from fengqiao.cases.policy import scope_paths

        paths = scope_paths(user, SUPERVISE_ROLES)
        raw = str(request.query_params.get("unit", ""))
        unit = Unit.objects.filter(pk=int(raw)).first() if raw.isdigit() else Unit.objects.get(path=paths[0])
        if unit is None or not any(unit.path.startswith(p) for p in paths):
            raise ActionForbidden("该单位不在您的辖区内。")
        month, start, end = month_bounds(str(request.query_params.get("month", "")))
        cov = metrics.coverage(unit, start, end)
        rate = metrics.grid_rate(unit, start, end)
        body = {
            "unit": unit.pk,
            "month": month,
            "grids": cov.grids,
            "covered": cov.covered,
            "uncovered": [r.grid.name for r in cov.uncovered],
            "overdue_visits": metrics.overdue_visits(unit).count(),
            "grid_rate": {
                "name": str(metrics.RATE_NAME),
                "formula": str(metrics.RATE_FORMULA),
                "numerator": rate.numerator,
                "denominator": rate.denominator,
                "value": None if rate.value is None else round(rate.value, 6),
            },
        }
        return Response(body)


urlpatterns = [
    path("patrols/", PatrolList.as_view(), name="api_patrols"),
    path("patrols/<int:pk>/checkins/", PatrolCheckins.as_view(), name="api_checkins"),
    path("patrols/<int:pk>/stop/", PatrolStop.as_view(), name="api_patrol_stop"),
    path("visits/", VisitList.as_view(), name="api_visits"),
    path("visits/<int:pk>/record/", VisitRecord.as_view(), name="api_visit_record"),
    path("reports/", ReportCreate.as_view(), name="api_report"),
    path("supervision/", SupervisionFigures.as_view(), name="api_supervision"),
]
