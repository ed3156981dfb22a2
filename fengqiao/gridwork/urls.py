from django.urls import include, path

from fengqiao.gridwork import views, views_forms, views_supervision, views_volunteer, views_volunteer_shop

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
    path("staff/volunteers/", views_volunteer.volunteer_home, name="vol_home"),
    path("staff/volunteers/new/", views_volunteer.activity_new, name="vol_new"),
    path("staff/volunteers/a/<int:pk>/", views_volunteer.activity_detail, name="vol_activity"),
    path("staff/volunteers/a/<int:pk>/edit/", views_volunteer.activity_edit, name="vol_edit"),
    path("staff/volunteers/a/<int:pk>/cancel/", views_volunteer.activity_cancel, name="vol_cancel"),
    path("staff/volunteers/s/<int:pk>/<slug:op>/", views_volunteer.signup_op, name="vol_signup"),
    path("staff/volunteers/people/", views_volunteer_shop.people, name="vol_people"),
    path("staff/volunteers/people/<int:pk>/", views_volunteer_shop.person, name="vol_person"),
    path("staff/volunteers/shop/", views_volunteer_shop.shop, name="vol_shop"),
    path("staff/volunteers/shop/r/<int:pk>/", views_volunteer_shop.reward_edit, name="vol_reward"),
    path("staff/volunteers/shop/d/<int:pk>/<slug:op>/", views_volunteer_shop.redemption_settle, name="vol_settle"),
    path("staff/volunteers/ranking/", views_volunteer_shop.ranking, name="vol_ranking"),
    path("api/grid/", include("fengqiao.gridwork.api")),
    path("api/grid/", include("fengqiao.gridwork.api_volunteer")),
]
