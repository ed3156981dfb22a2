"""API of the knowledge base (DRF, in the OpenAPI schema): the assistant's answer and published
articles. Open to citizens' apps without login (anonymous rate limit); staff-only articles for
signed-in staff."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from fengqiao.knowledge import assistant, policy
from fengqiao.knowledge.models import Article


class ArticleSerializer(serializers.ModelSerializer[Article]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    categories: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    domains: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Article
        fields = [
            "slug", "title", "kind", "kind_label", "summary", "body", "keywords", "office", "materials",
            "fees", "steps", "categories", "domains", "audience", "version", "published_at", "review_due",
        ]  # fmt: skip


class ArticleListSerializer(serializers.ModelSerializer[Article]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Article
        fields = ["slug", "title", "kind", "kind_label", "summary", "published_at"]


class ArticleListView(generics.ListAPIView[Article]):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    serializer_class = ArticleListSerializer

    def get_queryset(self) -> Any:
        return Article.objects.readable_by(self.request.user).order_by("kind", "title")


class ArticleDetailView(generics.RetrieveAPIView[Article]):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    serializer_class = ArticleSerializer

    def get_object(self) -> Article:
        qs = Article.objects.readable_by(self.request.user).prefetch_related("categories", "domains")
        return get_object_or_404(qs, slug=self.kwargs["slug"])


ANSWER = inline_serializer(
    "KnowledgeAnswer",
    {
        "answered": serializers.BooleanField(),
        "articles": serializers.ListField(child=serializers.DictField()),
        "cases": serializers.ListField(child=serializers.DictField()),
        "category": serializers.DictField(allow_null=True),
        "domain": serializers.DictField(allow_null=True),
        "next_steps": serializers.ListField(child=serializers.DictField()),
    },
)


class SearchView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]

    @extend_schema(
        summary="咨询助手：文章、相似案例、可能的纠纷类型和下一步建议",
        parameters=[OpenApiParameter("q", str, required=True, description="问题（不超过500字）")],
        responses={200: ANSWER},
    )
    def get(self, request: Request) -> Response:
        q = str(request.query_params.get("q", "")).strip()
        if not q:
            raise serializers.ValidationError({"q": ["请填写问题。"]})
        if len(q) > assistant.MAX_QUESTION:
            raise serializers.ValidationError({"q": ["问题不能超过500字。"]})
        ans = assistant.answer(q, staff=policy.is_staff_reader(request.user))
        response = Response(assistant.as_data(ans))
        response["Cache-Control"] = "no-store"
        return response
