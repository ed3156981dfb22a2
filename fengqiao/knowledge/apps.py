from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "fengqiao.knowledge"
    label = "knowledge"
    verbose_name = _("知识与自助服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.core.panels import register_case_panel
        from fengqiao.core.registry import register_door_urls
        from fengqiao.knowledge import signals  # noqa: F401  (index refresh on article changes)
        from fengqiao.mediation.access import DUE_LISTS
        from fengqiao.org.choices import Role

        editors = {Role.DISPATCHER, Role.HANDLER, Role.SYSTEM_ADMIN}
        desk = {Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER, Role.LEADER}
        register(MenuItem("knowledge-ask", _("咨询助手"), "knowledge:ask", desk, order=43))
        register(MenuItem("knowledge", _("知识库"), "knowledge:articles", editors, order=44, staff=True))
        # 案例库 from mediated cases: its staff pages under mediation's door, its panel after mediation's
        register(MenuItem("mediation-library", _("案例库"), "mediation:library", DUE_LISTS, order=38))
        register_door_urls("mediation", "fengqiao.knowledge.urls_mediation")
        register_case_panel("mediation_library", "fengqiao.knowledge.panels.case_panel")
