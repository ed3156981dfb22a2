from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "fengqiao.triage"
    verbose_name = _("智能分流")

    def ready(self) -> None:
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.org.choices import Role
        from fengqiao.triage.views_learning import MENU_ROLES
        from fengqiao.web import access

        register(MenuItem("triage-quality", _("分流质量"), "triage:quality", MENU_ROLES, order=62))
        register(
            MenuItem(
                "triage-learning",
                _("主动学习待确认"),
                "triage:learning_queue",
                access.TRIAGE_QUEUE - {Role.LEADER},
                order=63,
            )
        )
