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
        from fengqiao.core.audit import chain_pending

        # Requests write audit rows pending, without a lock; this step chains them (issue #21).
        register_job("audit chain", 1, lambda: chain_pending() and None, task="fengqiao.core.tasks.chain_audit")
        from fengqiao.core import signals

        signals.connect_model_audit()
