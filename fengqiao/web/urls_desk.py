"""Desk pages: sign-in, workbench, case page and its actions, intake, lookups, inbox."""

from django.urls import path

from fengqiao.web.views import auth, case, inbox, intake, workbench

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("login/otp/", auth.otp_verify, name="otp_verify"),
    path("login/otp/setup/", auth.otp_setup, name="otp_setup"),
    path("logout/", auth.logout_view, name="logout"),
    path("workbench/", workbench.workbench, name="workbench"),
    path("workbench/assign/", workbench.bulk_assign, name="bulk_assign"),
    path("workbench/phone/", workbench.phone_search, name="phone_search"),
    path("intake/", intake.intake, name="intake"),
    path("cases/<str:code>/", case.case_detail, name="case"),
    path("cases/<str:code>/act/<str:name>/", case.case_act, name="case_act"),
    path("cases/<str:code>/attachments/", case.case_upload, name="case_upload"),
    path("cases/<str:code>/attachments/<int:pk>/", case.attachment_download, name="attachment"),
    path("cases/<str:code>/reveal/", case.case_reveal, name="case_reveal"),
    path("cases/<str:code>/receipt/", case.case_receipt, name="receipt"),
    path("lookup/address/", intake.address_lookup, name="lookup_address"),
    path("lookup/phone/", intake.phone_lookup, name="lookup_phone"),
    path("lookup/units/", intake.unit_lookup, name="lookup_units"),
    path("lookup/mediators/", case.mediator_lookup, name="lookup_mediators"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox.inbox_open, name="inbox_open"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox_read_all"),
]
