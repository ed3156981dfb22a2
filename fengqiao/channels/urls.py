"""Channels URLs, mounted at the root: /api/v1/inbound/…, /open311/v2/… and /staff/hotline/, /staff/ledger/…, /staff/channels/."""

from django.urls import include, path, re_path

from fengqiao.channels import api, court, open311, views
from fengqiao.core.ratelimit import rate_limited

# Per-address rate limits on the machine doors (settings.FENGQIAO_RATE_LIMITS; docs/security.md).
inbound_limit = rate_limited("inbound", methods=("GET", "POST"))
open311_limit = rate_limited("open311", methods=("GET", "POST"))

app_name = "channels"

FMT = r"\.(?P<fmt>json|xml)$"

inbound_patterns = [
    path("cases", inbound_limit(api.create_case), name="inbound_create"),
    path("cases/<str:ref>", inbound_limit(api.case_detail), name="inbound_case"),
    path("stats", inbound_limit(api.system_stats), name="inbound_stats"),
    # the court's ruling on a judicial confirmation (mediation's agreements)
    path(
        "judicial-confirmations",
        rate_limited("inbound", methods=("POST",))(court.court_ruling),
        name="inbound_court_ruling",
    ),
]

open311_patterns = [
    re_path(r"^services" + FMT, open311_limit(open311.service_list), name="o311_services"),
    re_path(r"^services/(?P<code>[\w-]+)" + FMT, open311_limit(open311.service_definition), name="o311_service"),
    re_path(r"^requests" + FMT, open311_limit(open311.requests_view), name="o311_requests"),
    re_path(r"^requests/(?P<request_id>[\w-]+)" + FMT, open311_limit(open311.request_detail), name="o311_request"),
    re_path(r"^tokens/(?P<token>[\w-]+)" + FMT, open311_limit(open311.token_detail), name="o311_token"),
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
