from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "fengqiao.channels"
    label = "channels"
    verbose_name = _("渠道与对接")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fengqiao.cases.models import CaseEvent
        from fengqiao.channels import webhooks
        from fengqiao.notify.outbox import register_channel

        register_channel("webhook", webhooks.webhook_sender)
        post_save.connect(webhooks.on_event_saved, sender=CaseEvent, dispatch_uid="channels-webhook-per-public-event")
        post_save.connect(webhooks.forget_systems, sender="channels.ExternalSystem", dispatch_uid="channels-forget")
