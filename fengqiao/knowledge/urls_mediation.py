"""The staff 案例库 pages, mounted under mediation's staff door (``/staff/mediation/``, namespace
``mediation``) through ``core.registry.door_urls``: mediation's urls.py imports no knowledge."""

from django.urls import path

from fengqiao.knowledge import views_case_library

urlpatterns = [
    path("library/", views_case_library.library, name="library"),
    path("library/<int:pk>/", views_case_library.detail, name="library_detail"),
    path("cases/<str:code>/library/", views_case_library.propose, name="library_propose"),
]
