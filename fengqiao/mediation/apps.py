from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "fengqiao.mediation"
    label = "mediation"
    verbose_name = _("调解")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fengqiao.cases.hooks import set_case_team
        from fengqiao.cases.models import CaseEvent
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.core.panels import register_case_panel
        from fengqiao.mediation import case_actions, events  # noqa: F401  (case_actions: team, sessions)
        from fengqiao.mediation.access import DIFFICULT_LIST, DUE_LISTS
        from fengqiao.mediation.signals import case_event_saved
        from fengqiao.mediation.team import CaseTeam

        events.register_labels()
        set_case_team(CaseTeam())
        from fengqiao.core.registry import register_job
        from fengqiao.mediation.schedule import run_jobs

        register_job("mediation", 300, _changed(run_jobs), task="fengqiao.mediation.tasks.mediation_reminders")
        post_save.connect(case_event_saved, sender=CaseEvent, dispatch_uid="mediation-case-event")
        register_case_panel("mediation", "fengqiao.mediation.panels.case_panel")
        register(MenuItem("mediation-calendar", _("调解日程"), "mediation:calendar", DUE_LISTS, order=35))
        register(MenuItem("mediation-visits", _("回访计划"), "mediation:visits", DUE_LISTS, order=36))
        register(MenuItem("mediation-difficult", _("疑难案件"), "mediation:difficult", DIFFICULT_LIST, order=37))


def _changed(job: Any) -> Any:
    """Print a run's counts only when it did something."""

    def run() -> Any:
        counts = job()
        return counts if any(counts.values()) else None

    return run
