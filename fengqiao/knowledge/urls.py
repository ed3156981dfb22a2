"""All doors of the knowledge app, mounted with one line in fengqiao/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("portal/help/", include("fengqiao.knowledge.urls_portal")),
    path("staff/knowledge/", include("fengqiao.knowledge.urls_staff")),
    path("api/knowledge/", include("fengqiao.knowledge.urls_api")),
]
