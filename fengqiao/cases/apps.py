from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from fengqiao.cases import receivers
        from fengqiao.org.models import units_moved

        units_moved.connect(receivers.reindex_case_paths, dispatch_uid="cases-reindex-paths")
