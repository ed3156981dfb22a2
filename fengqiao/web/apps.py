from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "fengqiao.web"
    label = "web"
    verbose_name = _("工作台")

    def ready(self) -> None:
        from django.contrib import admin

        from fengqiao.web.admin_site import install

        install(admin.site)
