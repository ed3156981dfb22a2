from django.urls import include, path

from fengqiao.gridwork import views, views_forms, views_supervision

app_name = "gridwork"

urlpatterns = [
    path("staff/grid/", views.home, name="home"),
    path("staff/grid/<int:pk>/", views.grid_home, name="grid"),
    path("staff/grid/<int:pk>/patrol/start/", views.patrol_start, name="patrol_start"),
    path("staff/grid/<int:pk>/visits/new/", views_forms.visit_new, name="visit_new"),
    path("staff/grid/<int:pk>/report/", views_forms.report, name="report"),
    path("staff/grid/<int:pk>/deliver/", views_forms.deliver, name="deliver"),
    path("staff/grid/patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("staff/grid/patrols/<int:pk>/checkin/", views.patrol_checkin, name="checkin"),
    path("staff/grid/patrols/<int:pk>/stop/", views.patrol_stop, name="patrol_stop"),
    path("staff/grid/visits/<int:pk>/", views_forms.visit_detail, name="visit"),
    path("staff/grid/photo/<slug:kind>/<int:pk>/", views.photo, name="photo"),
    path("staff/grid/supervision/", views_supervision.supervision, name="supervision"),
    path("staff/grid/supervision/cases/", views_supervision.supervision_cases, name="supervision_cases"),
    path("api/grid/", include("fengqiao.gridwork.api")),
]
