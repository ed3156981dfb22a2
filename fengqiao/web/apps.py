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
        _register_menu()


def _register_menu() -> None:
    """The staff menu entries of the pages this door and the earlier apps serve (fengqiao.core.menu)."""
    from fengqiao.core.menu import MenuItem, register
    from fengqiao.org import access

    for item in (
        MenuItem("workbench", _("工作台"), "web:workbench", access.WORKBENCH, order=10),
        MenuItem("intake", _("登记"), "web:intake", access.INTAKE, order=20),
        MenuItem("triage-queue", _("分流待办"), "triage:queue", access.TRIAGE_QUEUE, order=30),
        MenuItem("hotline", _("热线坐席"), "channels:hotline", access.HOTLINE, order=40),
        MenuItem("ledger-import", _("台账导入"), "channels:ledger_import", access.LEDGER_IMPORT, order=41),
        MenuItem("posters", _("民生码海报"), "portal:posters", access.POSTERS, order=42),
        MenuItem("leader", _("领导视图"), "web:leader", access.LEADER, order=50, group="situation"),
        MenuItem("supervisor", _("监督视图"), "web:supervisor", access.SUPERVISOR, order=70, group="supervision"),
        MenuItem(
            "accountability", _("问责线索"), "supervision:records", access.SUPERVISOR, order=71, group="supervision"
        ),
        MenuItem("systems", _("对接系统"), "channels:systems", access.SYSTEMS, order=90, staff=True, group="system"),
        MenuItem("admin", _("后台"), "admin:index", (), order=99, staff=True, group="system"),
    ):
        register(item)
