from django.urls import include, path

from fengqiao.early_warning import views, views_analysis

app_name = "early_warning"

urlpatterns = [
    path("staff/warnings/", views.warning_list, name="list"),
    path("staff/warnings/<int:pk>/", views.warning_detail, name="detail"),
    path("staff/warnings/<int:pk>/act/<slug:name>/", views.warning_act, name="act"),
    path("staff/warnings/notices/", views.notices, name="notices"),
    path("staff/warnings/notices/<int:pk>/ack/", views.acknowledge, name="acknowledge"),
    path("staff/warnings/clusters/", views_analysis.clusters, name="clusters"),
    path("staff/warnings/problems/", views_analysis.problems, name="problems"),
    path("staff/warnings/problems/new/", views_analysis.problem_new, name="problem_new"),
    path("staff/warnings/problems/<int:pk>/", views_analysis.problem_detail, name="problem"),
    path("staff/warnings/problems/<int:pk>/<slug:name>/", views_analysis.problem_act, name="problem_act"),
    path("staff/warnings/trends/", views_analysis.trends, name="trends"),
    path("staff/warnings/key-areas.json", views.key_areas_json, name="key_areas"),
    path("staff/warnings/rising-strip/", views.rising_strip, name="rising_strip"),
    path("api/warnings/", include("fengqiao.early_warning.api")),
]
