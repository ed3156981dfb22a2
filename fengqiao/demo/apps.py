from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "fengqiao.demo"
    label = "demo"
    verbose_name = _("演示数据")

    def ready(self) -> None:
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.demo import sms
        from fengqiao.org import access

        roles = access.WORKBENCH | access.LEADER | access.SUPERVISOR | access.SYSTEMS
        # shown only while the page exists: development SMS backends, never in production
        register(
            MenuItem(
                "demo-sms", _("演示短信"), "demo:sms", roles, order=98, staff=True, when=sms.available, group="system"
            )
        )
