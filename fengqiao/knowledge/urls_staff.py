from django.urls import path

from fengqiao.knowledge import views_staff as v

app_name = "knowledge"

urlpatterns = [
    path("", v.articles, name="articles"),
    path("new/", v.article_edit, name="article_new"),
    path("<int:pk>/", v.article_preview, name="article_preview"),
    path("<int:pk>/edit/", v.article_edit, name="article_edit"),
    path("<int:pk>/act/<str:name>/", v.article_act, name="article_act"),
    path("<int:pk>/restore/<int:number>/", v.article_restore, name="article_restore"),
    path("ask/", v.ask, name="ask"),
    path("unanswered/", v.unanswered, name="unanswered"),
    path("unanswered/<int:pk>/done/", v.unanswered_done, name="unanswered_done"),
    path("library/", v.library, name="library"),
    path("library/new/", v.library_edit, name="library_new"),
    path("library/<int:pk>/", v.library_edit, name="library_edit"),
    path("library/<int:pk>/act/<str:name>/", v.library_act, name="library_act"),
]
