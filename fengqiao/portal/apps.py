from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fengqiao.portal"
    verbose_name = "群众端"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fengqiao.cases.models import CaseEvent
        from fengqiao.notify.templates import on_event_saved

        post_save.connect(on_event_saved, sender=CaseEvent, dispatch_uid="portal-sms-per-public-event")
