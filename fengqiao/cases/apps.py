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

        adminlabels.register("event", EVENT_LABELS)
        adminlabels.register("channel", Channel.choices)
        from fengqiao.cases import receivers
        from fengqiao.org.models import units_moved

        units_moved.connect(receivers.reindex_case_paths, dispatch_uid="cases-reindex-paths")
        from django.db.models.signals import post_delete, post_save

        from fengqiao.cases.actions.base import forget_owners

        post_save.connect(forget_owners, sender="org.Unit", dispatch_uid="cases-forget-owners")
        post_delete.connect(forget_owners, sender="org.Unit", dispatch_uid="cases-forget-owners-del")
        for model in ("cases.Category", "cases.Domain"):  # the registration's field memo holds them too
            post_save.connect(forget_owners, sender=model, dispatch_uid=f"cases-forget-{model}")
            post_delete.connect(forget_owners, sender=model, dispatch_uid=f"cases-forget-{model}-del")
