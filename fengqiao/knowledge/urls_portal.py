from django.urls import path

from fengqiao.knowledge import views_portal as v
from fengqiao.portal.urls import zh

app_name = "help"

urlpatterns = [
    path("", zh(v.help_home), name="home"),
    path("open-case/", zh(v.open_case), name="open_case"),
    path("legal-aid/", zh(v.legal_aid), name="legal_aid"),
    path("cases/", zh(v.library), name="library"),
    path("cases/<int:pk>/", zh(v.library_entry), name="library_entry"),
    path("topics/<str:code>/", zh(v.topic), name="topic"),
    path("<slug:slug>/", zh(v.article), name="article"),
]
