from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from fengqiao.cases.choices import Channel
        from fengqiao.cases.events import EVENT_LABELS
        from fengqiao.core import adminlabels

        adminlabels.register("event", EVENT_LABELS.items())
        adminlabels.register("channel", Channel.choices)
