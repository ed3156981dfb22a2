from django.urls import path

from fengqiao.knowledge import api

urlpatterns = [
    path("search/", api.SearchView.as_view(), name="api-knowledge-search"),
    path("articles/", api.ArticleListView.as_view(), name="api-knowledge-articles"),
    path("articles/<slug:slug>/", api.ArticleDetailView.as_view(), name="api-knowledge-article"),
]
