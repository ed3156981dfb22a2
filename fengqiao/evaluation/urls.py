from django.urls import path

from fengqiao.evaluation import views, views_admin

app_name = "evaluation"

urlpatterns = [
    path("evaluation/", views.ranking, name="ranking"),
    path("evaluation/units/<int:pk>/", views.scorecard, name="scorecard"),
    path("evaluation/units/<int:pk>/metrics/<str:key>/", views.drilldown, name="drilldown"),
    path("evaluation/points/", views.points_page, name="points"),
    path("evaluation/stars/", views.stars, name="stars"),
    path("evaluation/stars/<int:pk>/unstar/", views.unstar, name="unstar"),
    path("evaluation/supervision/", views_admin.supervision_list, name="supervisions"),
    path("evaluation/supervision/<int:pk>/", views_admin.supervision_detail, name="supervision"),
    path("evaluation/figures/", views_admin.figures, name="figures"),
    path("evaluation/reports/", views_admin.report_list, name="reports"),
    path("evaluation/reports/<int:pk>.<str:fmt>", views_admin.report_file, name="report_file"),
]
