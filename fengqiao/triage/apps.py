from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "fengqiao.triage"
    verbose_name = _("智能分流")

    def ready(self) -> None:
        from fengqiao.cases.proposals import register_team_proposer
        from fengqiao.core.registry import register_warm_up
        from fengqiao.triage.proposal import proposal_for

        register_team_proposer(proposal_for)
        from fengqiao.triage import handoff

        def warm_up() -> None:  # the pipeline (NumPy, MinHash) is imported where triage runs, not by every process
            from fengqiao.triage.pipeline import warm_up

            warm_up()

        register_warm_up("triage", warm_up)
        handoff.connect()
        from fengqiao.core.registry import register_job

        register_job("triage-retrain", 600, _retrain_when_due(), task="fengqiao.triage.tasks.retrain_nightly")
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.triage.views_learning import MENU_ROLES, QUEUE_MENU_ROLES, may_view

        register(
            MenuItem(
                "triage-quality",
                _("分流质量"),
                "triage:quality",
                MENU_ROLES,
                order=62,
                allow=may_view,
                group="evaluation",
            )
        )
        register(
            MenuItem(
                "triage-learning",
                _("主动学习待确认"),
                "triage:learning_queue",
                QUEUE_MENU_ROLES,
                order=63,
                group="handle",
            )
        )


def _retrain_day() -> Any:
    """The local date of the last 02:30 that has passed (changes once a night)."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.localtime() - dt.timedelta(hours=2, minutes=30)).date()


def _retrain_when_due() -> Any:
    """The embedded scheduler's nightly retraining: once a night after 02:30, never at start-up."""
    state = {"day": None}

    def run() -> Any:
        day = _retrain_day()
        if state["day"] is None:
            state["day"] = day
        if day == state["day"]:
            return None
        state["day"] = day
        from fengqiao.triage.learning import nightly

        return [(r["task"], r["status"]) for r in nightly()]

    return run
