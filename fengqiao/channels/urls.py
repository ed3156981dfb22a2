"""Channels URLs, mounted at the root: /api/v1/inbound/…, /open311/v2/… and /staff/hotline/, /staff/ledger/…, /staff/channels/."""

from django.urls import include, path, re_path

from fengqiao.channels import api, open311, views

app_name = "channels"

FMT = r"\.(?P<fmt>json|xml)$"

inbound_patterns = [
    path("cases", api.create_case, name="inbound_create"),
    path("cases/<str:ref>", api.case_detail, name="inbound_case"),
    path("stats", api.system_stats, name="inbound_stats"),
]

open311_patterns = [
    re_path(r"^services" + FMT, open311.service_list, name="o311_services"),
    re_path(r"^services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="o311_service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="o311_requests"),
    re_path(r"^requests/(?P<request_id>[\w-]+)" + FMT, open311.request_detail, name="o311_request"),
    re_path(r"^tokens/(?P<token>[\w-]+)" + FMT, open311.token_detail, name="o311_token"),
]

staff_patterns = [
    path("hotline/", views.hotline, name="hotline"),
    path("ledger/import/", views.ledger_import, name="ledger_import"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("channels/", views.systems, name="systems"),
    path("channels/agreement/<str:code>.docx", views.agreement, name="agreement"),
]

urlpatterns = [
    path("api/v1/inbound/", include(inbound_patterns)),
    path("open311/v2/", include(open311_patterns)),
    path("staff/", include(staff_patterns)),
]
