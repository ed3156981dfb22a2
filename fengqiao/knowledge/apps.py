from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "fengqiao.knowledge"
    label = "knowledge"
    verbose_name = _("知识与自助服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.knowledge import signals  # noqa: F401  (index refresh on article changes)
        from fengqiao.org.choices import Role

        editors = {Role.DISPATCHER, Role.HANDLER, Role.SYSTEM_ADMIN}
        desk = {Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER, Role.LEADER}
        register(MenuItem("knowledge-ask", _("咨询助手"), "knowledge:ask", desk, order=43))
        register(MenuItem("knowledge", _("知识库"), "knowledge:articles", editors, order=44, staff=True))
