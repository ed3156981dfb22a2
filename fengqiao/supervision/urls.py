from django.urls import path

from fengqiao.supervision import views

app_name = "supervision"

urlpatterns = [
    path("accountability/", views.records, name="records"),
    path("accountability/<int:pk>/", views.record_detail, name="record"),
    path("accountability/<int:pk>/check/", views.open_check, name="open_check"),
    path("accountability/<int:pk>/conclude/", views.conclude_check, name="conclude_check"),
    path("people/<int:pk>/", views.person, name="person"),
    path("cases/<str:code>/file/", views.case_file_view, name="case_file"),
    path("cases/<str:code>/file.pdf", views.case_file_pdf_view, name="case_file_pdf"),
]
