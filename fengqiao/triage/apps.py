from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "fengqiao.triage"
    verbose_name = _("智能分流")

    def ready(self) -> None:
        from fengqiao.core.registry import register_warm_up
        from fengqiao.triage import handoff
        from fengqiao.triage.pipeline import warm_up

        register_warm_up("triage", warm_up)
        handoff.connect()
