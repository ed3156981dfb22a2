from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from fengqiao.core import health
from fengqiao.core import views as core_views

admin.site.site_header = "枫桥 · 管理后台"
admin.site.site_title = "枫桥"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", health.readiness, name="healthz"),  # readiness: database, migrations, Redis, broker
    path("livez", health.liveness, name="livez"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include("fengqiao.api.urls")),
    path("api/evaluation/", include("fengqiao.evaluation.api_urls")),
    path("staff/", include("fengqiao.web.urls")),
    path("staff/", include("fengqiao.supervision.urls")),
    path("staff/", include("fengqiao.triage.urls")),
    path("staff/", include("fengqiao.evaluation.urls")),
    path("", include("fengqiao.knowledge.urls")),
    path("portal/", include("fengqiao.portal.urls")),
    path("staff/demo/", include("fengqiao.demo.urls")),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("", include("fengqiao.channels.urls")),
    path("", include("fengqiao.atlas.urls")),
    path("", include("fengqiao.early_warning.urls")),
    path("", include("fengqiao.mediation.urls")),
    path("", include("fengqiao.gridwork.urls")),
]

handler500 = "fengqiao.core.outage.server_error"  # outages → 503 with Retry-After (docs/reliability.md)
handler404 = "fengqiao.core.outage.not_found"
