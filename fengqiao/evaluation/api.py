"""REST API of the evaluation figures (mounted under /api/evaluation/, in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.cases import codes
from fengqiao.evaluation import periods, points, services
from fengqiao.evaluation.metrics import REGISTRY
from fengqiao.evaluation.models import Beneficiary

PERIOD = OpenApiParameter(
    "period", str, description="2026-11, 2026-Q4, 2026-W45, 2026, 2026-11-03 或 2026-11-01..2026-11-15"
)


class MetricOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    formula = serializers.CharField()
    proposed = serializers.BooleanField()
    numerator = serializers.FloatField()
    denominator = serializers.FloatField()
    value = serializers.FloatField(allow_null=True)
    shrunk = serializers.FloatField(allow_null=True, required=False)


class RankOut(serializers.Serializer):
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    band = serializers.CharField()
    dimensions = serializers.DictField(child=serializers.FloatField(allow_null=True))


class DrilldownOut(serializers.Serializer):
    metric = MetricOut()
    numerator_cases = serializers.ListField(child=serializers.CharField())
    denominator_cases = serializers.ListField(child=serializers.CharField())
    hidden = serializers.IntegerField()


class PointsOut(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()
    points = serializers.IntegerField()
    cases = serializers.IntegerField()


def _check(request: Request) -> Any:
    if not services.may_evaluate(request.user):
        raise PermissionDenied("需要领导、纪检监督或系统管理员角色。")
    return request.user


def _period(request: Request) -> periods.Period:
    try:
        return (
            periods.parse(request.query_params.get("period", ""))
            if request.query_params.get("period")
            else periods.current_month()
        )
    except periods.PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from exc


class UnitMetricsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="单位各项指标", parameters=[PERIOD], responses={200: MetricOut(many=True)})
    def get(self, request: Request, code: str) -> Response:
        user = _check(request)
        unit = services.unit_by_code_for(user, code)
        if unit is None:
            raise Http404
        return Response([r.as_json() for r in services.unit_metrics(unit, _period(request))])


class PersonMetricsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="承办人各项指标（其承办的案件）", parameters=[PERIOD], responses={200: MetricOut(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        from fengqiao.org.models import User

        user = _check(request)
        person = User.objects.filter(pk=pk, unit__in=services.units_in_scope(user)).first()
        if person is None:
            raise Http404
        return Response([r.as_json() for r in services.person_metrics(person.pk, _period(request))])


class DrilldownView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="指标明细：分子、分母的案件编码",
        parameters=[PERIOD],
        responses={200: DrilldownOut},
    )
    def get(self, request: Request, code: str, key: str) -> Response:
        user = _check(request)
        unit = services.unit_by_code_for(user, code)
        m = REGISTRY.get(key)
        if unit is None or m is None or m.external:
            raise Http404
        drill = services.drilldown(user, unit, _period(request), key)
        den = [codes.display(c) for c in drill.den.order_by("pk").values_list("code", flat=True)]
        return Response(
            {
                "metric": drill.result.as_json(),
                "numerator_cases": [codes.display(c) for c in drill.num.order_by("pk").values_list("code", flat=True)],
                "denominator_cases": den,
                "hidden": drill.hidden(len(den)),
            }
        )


class IndexView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="矛调指数排名",
        parameters=[PERIOD, OpenApiParameter("kind", str, enum=list(services.KINDS))],
        responses={200: RankOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        _check(request)
        kind = request.query_params.get("kind", "town")
        if kind not in services.KINDS:
            raise ValidationError({"kind": ["应为 town 或 department。"]})
        return Response(
            [
                {
                    "unit": r.unit.code,
                    "unit_name": r.unit.name,
                    "score": r.score,
                    "rank": r.rank,
                    "change": r.change,
                    "band": r.band,
                    "dimensions": r.dims,
                }
                for r in services.ranking_rows(_period(request), kind)
            ]
        )


class PointsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="调解积分排名",
        parameters=[PERIOD, OpenApiParameter("who", str, enum=list(Beneficiary.values))],
        responses={200: PointsOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        _check(request)
        who = request.query_params.get("who", Beneficiary.MEDIATOR)
        if who not in Beneficiary.values:
            raise ValidationError({"who": ["应为 mediator 或 cadre。"]})
        p = _period(request)
        rows = points.standings(p.start, p.end, who)
        return Response([{k: r[k] for k in ("rank", "name", "unit", "points", "cases")} for r in rows])
