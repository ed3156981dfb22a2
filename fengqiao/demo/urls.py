from django.urls import path

from fengqiao.demo import sms

app_name = "demo"
urlpatterns = [
    path("sms/", sms.demo_sms, name="sms"),
]
