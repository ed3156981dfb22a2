"""Staff pages. Desk pages (workbench, case, intake, inbox, login) live in urls_desk; oversight pages
(leader, supervisor) in urls_oversight."""

from django.urls import include, path

app_name = "web"

urlpatterns = [
    path("", include("fengqiao.web.urls_desk")),
    path("", include("fengqiao.web.urls_oversight")),
]
