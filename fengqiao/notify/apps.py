from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "fengqiao.notify"
    label = "notify"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from fengqiao.cases import hooks
        from fengqiao.core.registry import register_job
        from fengqiao.notify import jobs
        from fengqiao.notify.tasks import on_events_committed

        hooks.events_committed.connect(on_events_committed, dispatch_uid="notify-fanout")

        register_job("relay", 5, jobs.relay, task="fengqiao.notify.tasks.relay_outbox", option="relay_every")
        register_job("rating reminders", 3600, jobs.remind, task="fengqiao.notify.tasks.remind_ratings")
        register_job("fan-out catch-up", 300, jobs.catch_up, task="fengqiao.notify.tasks.catch_up_fanout")
