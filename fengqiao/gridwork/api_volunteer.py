"""The volunteer API for staff (in the OpenAPI schema): activities (list, publish, edit, cancel), their
sign-ups with check-in and check-out, volunteers with their ledgers and the recompute check, the
道德超市 catalogue and redemptions to hand over. Scoped by unit like the pages (an object outside the
caller's units is 404); every change goes through ``actions_volunteer``, whose errors the API's
handler turns into 400/403/409."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.cases.actions import ActionInvalid
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.api import Pages
from fengqiao.gridwork.models_volunteer import Activity, Redemption, Reward, SignUp, Volunteer
from fengqiao.gridwork.policy import volunteer_q
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit


class ActivitySerializer(serializers.ModelSerializer[Activity]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    places_left = serializers.IntegerField(read_only=True)
    state = serializers.CharField(read_only=True, help_text="报名中 / 进行中 / 已结束 / 已取消")

    class Meta:
        model = Activity
        fields = [
            "id",
            "unit",
            "unit_name",
            "title",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "signed_up",
            "places_left",
            "points_per_hour",
            "state",
            "cancelled_at",
            "cancel_reason",
        ]


class PublishInput(va.ActivityInput):
    unit = serializers.IntegerField(help_text="发布单位 id（乡镇、村或网格）")


class SignUpSerializer(serializers.ModelSerializer[SignUp]):
    volunteer_name = serializers.CharField(source="volunteer.__str__", read_only=True, help_text="脱敏姓名")
    volunteer_phone = serializers.CharField(source="volunteer.masked_phone", read_only=True)

    class Meta:
        model = SignUp
        fields = [
            "id",
            "activity",
            "volunteer",
            "volunteer_name",
            "volunteer_phone",
            "signed_at",
            "cancelled_at",
            "checked_in_at",
            "checked_out_at",
            "minutes",
        ]


class VolunteerSerializer(serializers.ModelSerializer[Volunteer]):
    name = serializers.CharField(source="__str__", read_only=True, help_text="脱敏姓名")
    phone = serializers.CharField(source="masked_phone", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = Volunteer
        fields = ["id", "name", "phone", "village", "village_name", "joined_at"]


class LedgerLine(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    delta = serializers.IntegerField()
    reason = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]


class Difference(serializers.Serializer[Any]):
    source = serializers.CharField()  # type: ignore[assignment]
    expected = serializers.IntegerField(allow_null=True)
    recorded = serializers.IntegerField(allow_null=True)


class LedgerCheck(serializers.Serializer[Any]):
    expected = serializers.IntegerField(help_text="按签到签退和兑换记录重算的余额")
    recorded = serializers.IntegerField(help_text="流水合计")
    ok = serializers.BooleanField()
    differences = Difference(many=True)


class Ledger(serializers.Serializer[Any]):
    volunteer = VolunteerSerializer()
    balance = serializers.IntegerField()
    hours = serializers.FloatField()
    lines = LedgerLine(many=True)
    check = LedgerCheck()


class RewardSerializer(serializers.ModelSerializer[Reward]):
    class Meta:
        model = Reward
        fields = ["id", "village", "name", "cost", "stock"]
        read_only_fields = ["village"]


class NewRewardInput(va.RewardInput):
    village = serializers.IntegerField(help_text="村（社区）id")


class RedemptionSerializer(serializers.ModelSerializer[Redemption]):
    reward_name = serializers.CharField(source="reward.name", read_only=True)
    volunteer_name = serializers.CharField(source="volunteer.__str__", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Redemption
        fields = ["id", "reward", "reward_name", "volunteer", "volunteer_name", "cost", "at", "status", "status_label"]


class RankRow(VolunteerSerializer):
    points = serializers.IntegerField(help_text="累计获得的积分")

    class Meta(VolunteerSerializer.Meta):
        fields = [*VolunteerSerializer.Meta.fields, "points"]


class SettleInput(serializers.Serializer[Any]):
    give = serializers.BooleanField(help_text="true：确认领取；false：撤销（积分和库存退回）")


def _body(request: Request) -> dict[str, Any]:
    if not hasattr(request.data, "items"):
        raise ActionInvalid("请求格式有误。")
    return dict(request.data.items())


def _unit(raw: Any, field: str, kinds: tuple[str, ...]) -> Unit:
    raw = str(raw or "")
    unit = Unit.objects.filter(pk=int(raw), kind__in=kinds, is_active=True).first() if raw.isdigit() else None
    if unit is None:
        raise ActionInvalid("请选择单位。", {field: ["请选择单位。"]})
    return unit


def activities(request: Request) -> Any:
    return Activity.objects.filter(volunteer_q(request.user, "unit_path")).select_related("unit")


class ActivityList(generics.ListAPIView[Activity]):
    serializer_class = ActivitySerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        return activities(self.request).order_by("-starts_at", "-pk")

    @extend_schema(request=PublishInput, responses={201: ActivitySerializer})
    def post(self, request: Request) -> Response:
        body = _body(request)
        unit = _unit(
            body.pop("unit", None), "unit", (UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID, UnitKind.MICROGRID)
        )
        return Response(ActivitySerializer(va.publish_activity(request.user, unit, body)).data, status=201)


class ActivityDetail(APIView):
    @extend_schema(responses=ActivitySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActivitySerializer(get_object_or_404(activities(request), pk=pk)).data)

    @extend_schema(request=va.ActivityInput, responses=ActivitySerializer)
    def put(self, request: Request, pk: int) -> Response:
        a = get_object_or_404(activities(request), pk=pk)
        return Response(ActivitySerializer(va.edit_activity(request.user, a, _body(request))).data)


class ActivityCancel(APIView):
    @extend_schema(request=va.CancelInput, responses=ActivitySerializer)
    def post(self, request: Request, pk: int) -> Response:
        a = get_object_or_404(activities(request), pk=pk)
        return Response(ActivitySerializer(va.cancel_activity(request.user, a, _body(request))).data)


class ActivitySignUps(generics.ListAPIView[SignUp]):
    serializer_class = SignUpSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's walk: no activity in the URL
            return SignUp.objects.none()
        a = get_object_or_404(activities(self.request), pk=self.kwargs["pk"])
        return a.signups.select_related("volunteer").order_by("signed_at", "pk")


class SignUpOp(APIView):
    op = "checkin"

    @extend_schema(request=None, responses=SignUpSerializer)
    def post(self, request: Request, pk: int) -> Response:
        s = get_object_or_404(SignUp.objects.filter(activity__in=activities(request)), pk=pk)
        done = va.check_in(request.user, s) if self.op == "checkin" else va.check_out(request.user, s)
        return Response(SignUpSerializer(done).data)


class VolunteerList(generics.ListAPIView[Volunteer]):
    serializer_class = VolunteerSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        qs = Volunteer.objects.filter(volunteer_q(self.request.user, "village_path"))
        return qs.select_related("village").order_by("pk")


class VolunteerLedger(APIView):
    @extend_schema(responses=Ledger)
    def get(self, request: Request, pk: int) -> Response:
        v = get_object_or_404(Volunteer.objects.filter(volunteer_q(request.user, "village_path")), pk=pk)
        lines = v.points.order_by("at", "pk").values("at", "delta", "reason", "source")
        return Response(
            {
                "volunteer": VolunteerSerializer(v).data,
                "balance": va.balance(v),
                "hours": va.hours(v),
                "lines": LedgerLine(lines, many=True).data,
                "check": va.ledger_check(v),
            }
        )


class RewardList(generics.ListAPIView[Reward]):
    serializer_class = RewardSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        qs = Reward.objects.filter(volunteer_q(self.request.user, "village_path"))
        raw = str(self.request.query_params.get("village", ""))
        return (qs.filter(village_id=int(raw)) if raw.isdigit() else qs).order_by("village_path", "cost", "pk")

    @extend_schema(
        parameters=[OpenApiParameter("village", int)], request=NewRewardInput, responses={201: RewardSerializer}
    )
    def post(self, request: Request) -> Response:
        body = _body(request)
        village = _unit(body.pop("village", None), "village", (UnitKind.VILLAGE,))
        return Response(RewardSerializer(va.add_reward(request.user, village, body)).data, status=201)


class RewardDetail(APIView):
    @extend_schema(request=va.RewardInput, responses=RewardSerializer)
    def put(self, request: Request, pk: int) -> Response:
        r = get_object_or_404(Reward.objects.filter(volunteer_q(request.user, "village_path")), pk=pk)
        return Response(RewardSerializer(va.edit_reward(request.user, r, _body(request))).data)


class RedemptionList(generics.ListAPIView[Redemption]):
    serializer_class = RedemptionSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        qs = Redemption.objects.filter(volunteer_q(self.request.user, "reward__village_path"))
        status = self.request.query_params.get("status")
        return (qs.filter(status=status) if status else qs).select_related("reward", "volunteer")


class RedemptionSettle(APIView):
    @extend_schema(request=SettleInput, responses=RedemptionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        red = get_object_or_404(Redemption.objects.filter(volunteer_q(request.user, "reward__village_path")), pk=pk)
        data = SettleInput(data=_body(request))
        if not data.is_valid():
            raise ActionInvalid("请说明确认领取还是撤销。", data.errors)
        return Response(RedemptionSerializer(va.settle_redemption(request.user, red, data.validated_data["give"])).data)


class Rankings(APIView):
    @extend_schema(parameters=[OpenApiParameter("village", int, required=True)], responses=RankRow(many=True))
    def get(self, request: Request) -> Response:
        raw = str(request.query_params.get("village", ""))
        village = get_object_or_404(
            Unit.objects.filter(volunteer_q(request.user, "path"), kind=UnitKind.VILLAGE),
            pk=int(raw) if raw.isdigit() else 0,
        )
        rows = va.ranking(village, limit=50)
        return Response([{**VolunteerSerializer(v).data, "points": pts} for v, pts in rows])


urlpatterns = [
    path("volunteer/activities/", ActivityList.as_view(), name="api_vol_activities"),
    path("volunteer/activities/<int:pk>/", ActivityDetail.as_view(), name="api_vol_activity"),
    path("volunteer/activities/<int:pk>/cancel/", ActivityCancel.as_view(), name="api_vol_cancel"),
    path("volunteer/activities/<int:pk>/signups/", ActivitySignUps.as_view(), name="api_vol_signups"),
    path("volunteer/signups/<int:pk>/checkin/", SignUpOp.as_view(op="checkin"), name="api_vol_checkin"),
    path("volunteer/signups/<int:pk>/checkout/", SignUpOp.as_view(op="checkout"), name="api_vol_checkout"),
    path("volunteer/volunteers/", VolunteerList.as_view(), name="api_vol_people"),
    path("volunteer/volunteers/<int:pk>/ledger/", VolunteerLedger.as_view(), name="api_vol_ledger"),
    path("volunteer/rewards/", RewardList.as_view(), name="api_vol_rewards"),
    path("volunteer/rewards/<int:pk>/", RewardDetail.as_view(), name="api_vol_reward"),
    path("volunteer/redemptions/", RedemptionList.as_view(), name="api_vol_redemptions"),
    path("volunteer/redemptions/<int:pk>/settle/", RedemptionSettle.as_view(), name="api_vol_settle"),
    path("volunteer/rankings/", Rankings.as_view(), name="api_vol_rankings"),
]
