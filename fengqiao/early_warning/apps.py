from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningConfig(AppConfig):
    name = "fengqiao.early_warning"
    label = "early_warning"
    verbose_name = _("预警研判")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core.registry import register_job

        register_job("warnings", 600, _warnings_job, task="fengqiao.early_warning.tasks.run_warnings")
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.core.panels import register_case_panel, register_dashboard_panel, register_map_layer
        from fengqiao.org.choices import Role

        both = {Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR}
        register(MenuItem("warnings", _("预警研判"), "early_warning:list", both, order=55))
        register(
            MenuItem("warning-notices", _("工作提示"), "early_warning:notices", both | {Role.GRID_WORKER}, order=56)
        )
        register(
            MenuItem("class-cases", _("类案研判"), "early_warning:clusters", {Role.LEADER, Role.DISPATCHER}, order=57)
        )
        register(MenuItem("trends", _("趋势预测"), "early_warning:trends", {Role.LEADER, Role.DISPATCHER}, order=58))
        register_case_panel("early_warning", "fengqiao.early_warning.similar.case_panel")
        register_dashboard_panel("early_warning", "fengqiao.early_warning.panels.dashboard_panel")
        register_map_layer("early_warning", "fengqiao.early_warning.panels.map_layer")


def _warnings_job() -> object:
    """The warning models, every ten minutes (Celery beat: run_warnings)."""
    from fengqiao.early_warning.tasks import run_warnings

    warned = run_warnings()
    return warned if warned.get("raised") or warned.get("closed") else None
