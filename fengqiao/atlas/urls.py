"""Atlas URLs, mounted at the root: /staff/map/…, /staff/dashboard/…, /staff/stats/…, /api/atlas/…"""

from django.urls import path

from fengqiao.atlas import views_map as m
from fengqiao.atlas import views_screen as s

app_name = "atlas"

urlpatterns = [
    path("staff/map/", m.map_page, name="map"),
    path("staff/map/boundaries/<str:level>/", m.map_boundaries, name="map_boundaries"),
    path("staff/map/cases/", m.map_cases, name="map_cases"),
    path("staff/map/area/<int:pk>/", m.map_area, name="map_area"),
    path("staff/map/cell/", m.map_cell, name="map_cell"),
    path("staff/map/resources/", m.map_resources, name="map_resources"),
    path("staff/dashboard/", s.dashboard, name="dashboard"),
    path("staff/dashboard/data/", s.dashboard_data, name="dashboard_data_root"),
    path("staff/dashboard/<str:code>/", s.dashboard, name="dashboard_unit"),
    path("staff/dashboard/<str:code>/data/", s.dashboard_data, name="dashboard_data"),
    path("staff/stats/", s.stats, name="stats"),
    path("staff/stats/export.xlsx", s.stats_export, name="stats_export"),
    path("api/atlas/stats/", s.StatsAPI.as_view(), name="api_stats"),
]
