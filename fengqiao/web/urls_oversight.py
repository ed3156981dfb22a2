"""Oversight pages: the leader's view (领导视图) and the supervisor's view (监督视图)."""

from django.urls import path

from fengqiao.web.views import leader, supervisor

urlpatterns = [
    path("leader/", leader.leader, name="leader"),
    path("leader/instruct/<str:code>/", leader.instruct, name="leader_instruct"),
    path("leader/follow/<str:code>/", leader.follow, name="leader_follow"),
    path("leader/unfollow/<str:code>/", leader.unfollow, name="leader_unfollow"),
    path("supervisor/", supervisor.supervisor, name="supervisor"),
    path("supervisor/cases/<str:code>/timeline/", supervisor.timeline, name="supervisor_timeline"),
]
