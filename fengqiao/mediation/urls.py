"""Mediation's pages: staff pages under /staff/mediation/, the party's agreement page under /portal/agreement/."""

from django.urls import include, path

from fengqiao.core.registry import door_urls
from fengqiao.mediation import portal_views, views, views_desk
from fengqiao.portal.urls import zh

staff = [
    path("cases/<str:code>/agreement/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:pk>/file.<str:fmt>", views.agreement_file, name="agreement_file"),
    path("agreements/<int:pk>/court/apply/", views.court_apply, name="court_apply"),
    path("agreements/<int:pk>/court/ruling/", views.court_ruling, name="court_ruling"),
    path("signatures/<int:pk>/offline/", views.offline_confirm, name="offline_confirm"),
    path("cases/<str:code>/schedule/", views.schedule_new, name="schedule_new"),
    path("plans/<int:pk>/cancel/", views.schedule_cancel, name="schedule_cancel"),
    path("calendar/", views.calendar, name="calendar"),
    path("visits/", views.visits, name="visits"),
    path("difficult/", views_desk.difficult_list, name="difficult"),
    path("cases/<str:code>/difficult/", views_desk.flag, name="difficult_flag"),
    path("difficult/<int:pk>/review/", views_desk.review, name="difficult_review"),
    *door_urls("mediation"),  # pages later apps add under this door (knowledge: the 案例库)
]

portal = [
    path("<str:token>/", zh(portal_views.sign), name="sign"),
]

urlpatterns = [
    path("staff/mediation/", include((staff, "mediation"))),
    path("portal/agreement/", include((portal, "mediation_portal"))),
]
