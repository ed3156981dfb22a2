from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from fengqiao.api import views
from fengqiao.api.auth import ObtainTokenView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),  # CSP: no inline script
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("token/", ObtainTokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("units/", views.UnitListView.as_view(), name="api-units"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="api-unit"),
    path("categories/", views.CategoryListView.as_view(), name="api-categories"),
    path("domains/", views.DomainListView.as_view(), name="api-domains"),
    path("cases/", views.CaseListCreateView.as_view(), name="api-cases"),
    path("cases/<str:code>/", views.CaseDetailView.as_view(), name="api-case"),
    path("cases/<str:code>/timeline/", views.CaseTimelineView.as_view(), name="api-case-timeline"),
    re_path(r"^cases/(?P<code>[^/]+)/qr\.(?P<fmt>svg|png)$", views.CaseQRView.as_view(), name="api-case-qr"),
    path("cases/<str:code>/reveal/", views.CaseRevealView.as_view(), name="api-case-reveal"),
    path("cases/<str:code>/actions/<str:name>/", views.CaseActionView.as_view(), name="api-case-action"),
]
