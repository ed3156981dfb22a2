from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "fengqiao.org"
    label = "org"
    verbose_name = _("组织机构")

    def ready(self) -> None:
        from fengqiao.core import adminlabels
        from fengqiao.org import signals  # noqa: F401
        from fengqiao.org.choices import Role

        adminlabels.register("role", Role.choices)
