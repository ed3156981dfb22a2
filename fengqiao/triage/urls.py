from django.urls import path

from fengqiao.triage import views, views_learning

app_name = "triage"

urlpatterns = [
    path("triage/queue/", views.queue, name="queue"),
    path("triage/dry-run/", views.dry_run, name="dry_run"),
    path("triage/case/<str:code>/confirm/", views.confirm, name="confirm"),
    path("triage/case/<str:code>/reviewed/", views.mark_reviewed, name="reviewed"),
    path("triage/case/<str:code>/team/", views.team_confirm, name="team"),
    path("triage/case/<str:code>/pool/", views.pool, name="pool"),
    path("triage/quality/", views_learning.quality_page, name="quality"),
    path("triage/models/", views_learning.versions, name="versions"),
    path("triage/models/<int:pk>/promote/", views_learning.version_promote, name="version_promote"),
    path("triage/models/<str:task>/rollback/", views_learning.version_rollback, name="version_rollback"),
    path("triage/overrides/", views_learning.overrides_page, name="overrides"),
    path("triage/overrides/decide/", views_learning.suggestion_decide, name="suggestion"),
    path("triage/learning-queue/", views_learning.learning_queue, name="learning_queue"),
]
