from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "fengqiao.supervision"
    label = "supervision"
    verbose_name = _("督办")

    def ready(self) -> None:
        from fengqiao.cases import hooks
        from fengqiao.core.registry import register_job
        from fengqiao.supervision import case_actions, jobs  # noqa: F401  (case_actions: 批示, 延期)
        from fengqiao.supervision.keeper import Deadlines

        hooks.set_deadline_keeper(Deadlines())

        register_job("sweep", 60, jobs.sweep, task="fengqiao.supervision.tasks.run_sweep", option="sweep_every")
        register_job("accountability", 3600, jobs.accountability, task="fengqiao.supervision.tasks.run_accountability")
