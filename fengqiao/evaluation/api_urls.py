from django.urls import path

from fengqiao.evaluation import api

urlpatterns = [
    path("index/", api.IndexView.as_view(), name="api-eval-index"),
    path("points/", api.PointsView.as_view(), name="api-eval-points"),
    path("units/<str:code>/metrics/", api.UnitMetricsView.as_view(), name="api-eval-unit-metrics"),
    path("units/<str:code>/metrics/<str:key>/", api.DrilldownView.as_view(), name="api-eval-drilldown"),
    path("people/<int:pk>/metrics/", api.PersonMetricsView.as_view(), name="api-eval-person-metrics"),
]
