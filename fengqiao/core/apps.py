from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from fengqiao.core.dbmaint import optimize
        from fengqiao.core.registry import register_job

        register_job("optimize", 86400, optimize)  # planner statistics (SQLite); daily
        from fengqiao.core import signals

        signals.connect_model_audit()
