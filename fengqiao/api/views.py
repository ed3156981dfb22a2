"""REST API: read endpoints, case creation (idempotent) and one POST per action."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.api.models import IdempotencyRecord
from fengqiao.api.serializers import (
    CaseDetailSerializer,
    CaseListSerializer,
    CategorySerializer,
    DomainSerializer,
    EventSerializer,
    MeSerializer,
    PartyOutSerializer,
    RevealInput,
    UnitSerializer,
)
from fengqiao.cases import actions, codes, inputs, policy
from fengqiao.cases.filtersets import CaseFilterSet
from fengqiao.cases.models import Case, Category, Domain, RevealGrant
from fengqiao.core import audit
from fengqiao.org.models import Unit, User

REVEAL_MINUTES = 10


def staff_user(request: Request) -> User:
    """The authenticated staff user (every view here requires authentication)."""
    return cast(User, request.user)


def case_queryset(user: Any) -> QuerySet[Case]:
    return policy.restrict(Case.objects.all(), user).select_related(
        "category",
        "category__parent",
        "owner_unit",
        "handler",
        "pending_unit",
        "lead_unit",
        "location_unit",
        "domain",
    )


def get_case(user: Any, code: str) -> Case:
    norm = codes.normalise(code)
    if not codes.is_valid(norm):
        raise Http404
    return get_object_or_404(case_queryset(user), code=norm)


def etag(case: Case) -> str:
    return f'"{case.code}-v{case.version}"'


def parse_if_match(request: Request, case: Case) -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/")
    prefix = f'"{case.code}-v'
    if not tag.startswith(prefix) or not tag.endswith('"'):
        return -1  # never matches → 412
    try:
        return int(tag[len(prefix) : -1])
    except ValueError:
        return -1


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(staff_user(request)).data)


class UnitListView(generics.ListAPIView):
    serializer_class = UnitSerializer
    filterset_fields = ["kind", "parent"]

    def get_queryset(self) -> QuerySet[Unit]:
        return Unit.objects.filter(is_active=True).order_by("path")


class UnitDetailView(generics.RetrieveAPIView):
    serializer_class = UnitSerializer
    queryset = Unit.objects.filter(is_active=True)


class CategoryListView(generics.ListAPIView):
    serializer_class = CategorySerializer
    pagination_class = None
    queryset = Category.objects.filter(is_active=True).select_related("parent")


class DomainListView(generics.ListAPIView):
    serializer_class = DomainSerializer
    pagination_class = None
    queryset = Domain.objects.filter(is_active=True)


def _request_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class CaseListCreateView(generics.ListCreateAPIView):
    filterset_class = CaseFilterSet

    def get_queryset(self) -> QuerySet[Case]:
        user = staff_user(self.request)
        qs = policy.restrict(Case.objects.all(), user).select_related(
            "category", "category__parent", "owner_unit", "handler"
        )
        # The list shows a few columns: skip loading (and converting) the wide and timestamp ones.
        return qs.defer(*Case.LIST_DEFERRED) if self.request.method == "GET" else qs

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return CaseListSerializer if self.request.method == "GET" else inputs.RegisterInput

    @extend_schema(
        request=inputs.RegisterInput,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self._create(request)
        if len(key) > 100:
            raise ValidationError({"Idempotency-Key": [gettext("幂等键不能超过100个字符。")]})
        digest = _request_hash(request.data)
        previous = IdempotencyRecord.objects.filter(user=staff_user(request), endpoint="cases.create", key=key).first()
        if previous is not None:
            return self._replay(previous, digest)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=staff_user(request), endpoint="cases.create", key=key, request_hash=digest
                )
                response = self._create(request)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
                    return response
                record.status = response.status_code
                record.body = response.data
                record.save(update_fields=["status", "body"])
                return response
        except IntegrityError:
            previous = IdempotencyRecord.objects.get(user=staff_user(request), endpoint="cases.create", key=key)
            return self._replay(previous, digest)

    def _replay(self, previous: IdempotencyRecord, digest: str) -> Response:
        if previous.request_hash != digest:
            return Response(
                {"detail": gettext("该幂等键已用于内容不同的请求。"), "code": "idempotency_conflict"},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        response = Response(previous.body, status=previous.status)
        response["Idempotent-Replayed"] = "true"
        if isinstance(previous.body, dict) and previous.body.get("code"):
            # The same headers as the first response: a retrying client looks for Location.
            response["ETag"] = f'"{previous.body["code"]}-v{previous.body.get("version", 1)}"'
            response["Location"] = f"/api/cases/{previous.body['code']}/"
        return response

    def _create(self, request: Request) -> Response:
        case, created = actions.register_case(actions.Actor.staff(staff_user(request)), request.data, via="api")
        if not created:
            visible = case_queryset(staff_user(request)).filter(pk=case.pk).first()
            if visible is None:
                # The external reference is registered already, out of the caller's scope: say so
                # without showing the case (anyone could otherwise read a case by its reference).
                return Response(
                    {"detail": gettext("该外部编号已登记，由其他单位办理。"), "code": "duplicate_external_ref"},
                    status=status.HTTP_409_CONFLICT,
                )
            case = visible
        data = CaseDetailSerializer(case, context={"request": request}).data
        response = Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        response["ETag"] = etag(case)
        response["Location"] = f"/api/cases/{case.code}/"
        return response


class CaseDetailView(APIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request: Request, code: str) -> Response:
        case = get_case(staff_user(request), code)
        response = Response(CaseDetailSerializer(case, context={"request": request}).data)
        response["ETag"] = etag(case)
        return response


class CaseTimelineView(APIView):
    @extend_schema(responses=EventSerializer(many=True))
    def get(self, request: Request, code: str) -> Response:
        case = get_case(staff_user(request), code)
        events = case.events.select_related("actor", "actor_unit").order_by("at", "id")
        return Response(EventSerializer(events, many=True).data)


class CaseActionView(APIView):
    """POST /api/cases/{code}/actions/{name}/ — one endpoint per action of the workflow."""

    @extend_schema(
        request=inline_serializer("ActionInput", {"data": serializers.DictField(required=False)}),
        responses={
            200: inline_serializer("ActionResult", {"case": CaseDetailSerializer(), "event": EventSerializer()})
        },
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False)],
        description="Body: the action's input fields (see the docs/workflow.md table). "
        "Send If-Match with the case's ETag to refuse the change on a stale version (412).",
    )
    def post(self, request: Request, code: str, name: str) -> Response:
        if name not in actions.ACTIONS:
            raise Http404
        case = get_case(staff_user(request), code)
        event = actions.perform(
            name,
            case,
            actions.Actor.staff(staff_user(request)),
            request.data,
            expected_version=parse_if_match(request, case),
            via="api",
        )
        case = get_case(staff_user(request), code) if policy.can_view(staff_user(request), case) else case
        body = {
            "case": CaseDetailSerializer(case, context={"request": request}).data,
            "event": EventSerializer(event).data,
        }
        response = Response(body)
        response["ETag"] = etag(case)
        return response


class CaseQRView(APIView):
    """The case's QR code (一事一码) as SVG or PNG; it encodes the display code only."""

    @extend_schema(responses={(200, "image/svg+xml"): bytes, (200, "image/png"): bytes})
    def get(self, request: Request, code: str, fmt: str) -> HttpResponse:
        case = get_case(staff_user(request), code)
        if fmt == "png":
            return HttpResponse(codes.qr_png(case.display_code), content_type="image/png")
        return HttpResponse(codes.qr_svg(case.display_code), content_type="image/svg+xml")


class CaseRevealView(APIView):
    """Reveal a case's personal data in full: an audited action with a reason, valid 10 minutes."""

    @extend_schema(
        request=RevealInput,
        responses=inline_serializer(
            "RevealResult",
            {"parties": PartyOutSerializer(many=True), "expires_at": serializers.DateTimeField()},
        ),
    )
    def post(self, request: Request, code: str) -> Response:
        case = get_case(staff_user(request), code)
        ser = RevealInput(data=request.data)
        ser.is_valid(raise_exception=True)
        if policy.allowed_actions(staff_user(request), case) == [] and not staff_user(request).has_role(
            "leader", "supervisor"
        ):
            audit.record("pii.reveal", user=staff_user(request), obj=case, result="denied", detail={})
            return Response({"detail": gettext("您无权查看该案件的个人信息。")}, status=status.HTTP_403_FORBIDDEN)
        expires = timezone.now() + dt.timedelta(minutes=REVEAL_MINUTES)
        RevealGrant.objects.create(
            case=case, user=staff_user(request), reason=ser.validated_data["reason"], expires_at=expires
        )
        audit.record("pii.reveal", user=staff_user(request), obj=case, detail={"reason": ser.validated_data["reason"]})
        data = PartyOutSerializer(case.parties.all(), many=True, context={"revealed": True}).data
        return Response({"parties": data, "expires_at": expires})
