"""The warnings API: list and detail (scoped like the pages) and one POST per handling action."""

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

from fengqiao.early_warning import actions
from fengqiao.early_warning.models import OPEN_STATUSES, Level, Status, Warning
from fengqiao.early_warning.policy import allowed_actions, warnings_for


class WarningSerializer(serializers.ModelSerializer[Warning]):
    model = serializers.CharField(source="model.code", read_only=True)
    model_name = serializers.CharField(source="model.name", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Warning
        fields = [
            "id",
            "model",
            "model_name",
            "kind",
            "kind_label",
            "level",
            "level_label",
            "status",
            "status_label",
            "title",
            "explanation",
            "evidence",
            "case_ids",
            "score",
            "owner_unit",
            "owner_unit_name",
            "assignee_unit",
            "signal_at",
            "raised_at",
            "due_at",
            "escalations",
            "verification",
            "dismiss_reason",
            "measures",
            "closed_at",
            "version",
            "actions",
        ]

    def get_actions(self, obj: Warning) -> list[str]:
        return allowed_actions(self.context["request"].user, obj)


class WarningActionInput(serializers.Serializer[Any]):
    unit = serializers.IntegerField(required=False, help_text="assign: 承办单位 id")
    note = serializers.CharField(required=False, allow_blank=True, help_text="assign: 交办要求")
    verification = serializers.CharField(required=False, help_text="verify: 核实情况")
    reason = serializers.CharField(required=False, help_text="dismiss: 排除理由（必填）")
    measures = serializers.CharField(required=False, help_text="measures: 处置措施")
    summary = serializers.CharField(required=False, help_text="close: 办结情况")
    title = serializers.CharField(required=False, help_text="notice: 标题")
    text = serializers.CharField(required=False, help_text="notice: 提示内容")
    units = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="notice: 接收单位")
    due_days = serializers.IntegerField(required=False, help_text="notice: 签收时限（天）")


class Pages(PageNumberPagination):
    page_size = 50


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, description="open（处置中）或状态代码"),
        OpenApiParameter("level", int, description="1 蓝 2 黄 3 橙 4 红"),
    ]
)
class WarningList(generics.ListAPIView[Warning]):
    serializer_class = WarningSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        qs = (
            warnings_for(self.request.user)
            .select_related("model", "owner_unit")
            .order_by("-level", "-raised_at", "-pk")
        )
        status = self.request.query_params.get("status", "")
        level = self.request.query_params.get("level", "")
        if status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif status in Status.values:
            qs = qs.filter(status=status)
        if level.isdigit() and int(level) in Level.values:
            qs = qs.filter(level=int(level))
        return qs


class WarningDetail(generics.RetrieveAPIView[Warning]):
    serializer_class = WarningSerializer

    def get_queryset(self) -> Any:
        return warnings_for(self.request.user).select_related("model", "owner_unit")


class WarningAction(APIView):
    @extend_schema(
        request=WarningActionInput,
        responses=WarningSerializer,
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=[*actions.TRANSITIONS, "notice"])],
    )
    def post(self, request: Request, pk: int, name: str) -> Response:
        w = get_object_or_404(warnings_for(request.user).select_related("owner_unit", "assignee_unit"), pk=pk)
        data = dict(request.data.items()) if hasattr(request.data, "items") else {}
        if hasattr(request.data, "getlist"):
            data["units"] = request.data.getlist("units")
        if name == "notice":
            actions.issue_notice(request.user, w, data)
        else:
            if name not in actions.TRANSITIONS:
                return Response({"detail": "没有这个操作。"}, status=404)
            actions.perform(name, w, request.user, data)
        w = Warning.objects.select_related("model", "owner_unit").get(pk=pk)
        return Response(WarningSerializer(w, context={"request": request}).data)


urlpatterns = [
    path("", WarningList.as_view(), name="api_list"),
    path("<int:pk>/", WarningDetail.as_view(), name="api_detail"),
    path("<int:pk>/<slug:name>/", WarningAction.as_view(), name="api_action"),
]
