from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "fengqiao.evaluation"
    label = "evaluation"
    verbose_name = _("考评反馈")

    def ready(self) -> None:
        from fengqiao.core.registry import register_job

        register_job("evaluation", 3600, _evaluation_job, task="fengqiao.evaluation.tasks.refresh_index")
        from django.db.models.signals import post_save

        from fengqiao.cases.models import CaseEvent
        from fengqiao.evaluation.points import on_event_saved

        post_save.connect(on_event_saved, sender=CaseEvent, dispatch_uid="evaluation-points-per-event")
        from django.db.models.signals import pre_save

        from fengqiao.cases.models import Case
        from fengqiao.evaluation import sums

        pre_save.connect(sums.before_case_save, sender=Case, dispatch_uid="evaluation-sums-before")
        post_save.connect(sums.after_case_save, sender=Case, dispatch_uid="evaluation-sums-after")
        post_save.connect(sums.after_event_saved, sender=CaseEvent, dispatch_uid="evaluation-sums-event")
        from fengqiao.cases import hooks

        hooks.cases_saved.connect(sums.after_cases_saved, dispatch_uid="evaluation-sums-batch")
        from fengqiao.supervision.models import AccountabilityRecord

        post_save.connect(sums.after_flag_saved, sender=AccountabilityRecord, dispatch_uid="evaluation-sums-flag")
        _register_menu()
        from fengqiao.core import adminlabels
        from fengqiao.evaluation.points import TRIGGER_LABELS

        adminlabels.register("points_trigger", TRIGGER_LABELS.items())


def _register_menu() -> None:
    from fengqiao.core.menu import MenuItem, register
    from fengqiao.org.choices import Role

    leaders = {Role.LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN}
    for item in (
        MenuItem("eval-ranking", _("矛调指数"), "evaluation:ranking", leaders, order=55, group="evaluation"),
        MenuItem("eval-points", _("调解积分"), "evaluation:points", leaders, order=56, group="evaluation"),
        MenuItem(
            "eval-supervision",
            _("挂牌督办"),
            "evaluation:supervisions",
            leaders | {Role.HANDLER},
            order=57,
            group="evaluation",
        ),
        MenuItem("eval-reports", _("月度报告"), "evaluation:reports", leaders, order=58, group="evaluation"),
        MenuItem(
            "eval-figures",
            _("外部数据"),
            "evaluation:figures",
            {Role.SYSTEM_ADMIN},
            order=92,
            staff=True,
            group="system",
        ),
    ):
        register(item)


def _evaluation_job() -> str:
    """The embedded scheduler's hourly evaluation run (Celery beat: refresh_index and monthly_reports)."""
    from fengqiao.evaluation.tasks import monthly_reports_now, refresh_index_now

    return f"index {refresh_index_now()} units, reports {monthly_reports_now()}"
