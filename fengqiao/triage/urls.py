from django.urls import path

from fengqiao.triage import views

app_name = "triage"

urlpatterns = [
    path("triage/queue/", views.queue, name="queue"),
    path("triage/dry-run/", views.dry_run, name="dry_run"),
    path("triage/case/<str:code>/confirm/", views.confirm, name="confirm"),
    path("triage/case/<str:code>/reviewed/", views.mark_reviewed, name="reviewed"),
    path("triage/case/<str:code>/team/", views.team_confirm, name="team"),
    path("triage/case/<str:code>/pool/", views.pool, name="pool"),
]
