"""The volunteer pages (平安志愿) under the citizen portal's door, /portal/v/ — mounted by
``fengqiao/portal/urls.py`` through :func:`fengqiao.core.registry.door_urls`, so the portal imports
no grid work; names stay in the portal's namespace (``portal:vol_home``)."""

from django.urls import path

from fengqiao.gridwork import views_portal
from fengqiao.portal.urls import zh

urlpatterns = [
    path("v/", zh(views_portal.vol_home), name="vol_home"),
    path("v/a/<int:pk>/", zh(views_portal.vol_activity), name="vol_activity"),
    path("v/points/", zh(views_portal.vol_points), name="vol_points"),
    path("v/shop/", zh(views_portal.vol_shop), name="vol_shop"),
    path("v/rank/", zh(views_portal.vol_rank), name="vol_rank"),
]
