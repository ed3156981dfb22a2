from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtlasConfig(AppConfig):
    name = "fengqiao.atlas"
    label = "atlas"
    verbose_name = _("一张图")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from fengqiao.atlas import rollup
        from fengqiao.atlas.scope import ATLAS_ROLES
        from fengqiao.atlas.tasks import rebuild_rollups_now, refresh_rollups_now
        from fengqiao.cases.models import Case
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.core.registry import register_job
        from fengqiao.org.choices import Role

        register_job("atlas-rollups", 60, refresh_rollups_now, task="fengqiao.atlas.tasks.refresh_rollups")
        register_job("atlas-rollups-rebuild", 86400, rebuild_rollups_now, task="fengqiao.atlas.tasks.rebuild_rollups")
        register(MenuItem("atlas-map", _("一张图"), "atlas:map", ATLAS_ROLES, order=55, group="situation"))
        register(
            MenuItem(
                "atlas-dashboard",
                _("大屏"),
                "atlas:dashboard",
                {Role.LEADER, Role.SUPERVISOR},
                order=56,
                group="situation",
            )
        )
        register(MenuItem("atlas-stats", _("统计"), "atlas:stats", ATLAS_ROLES, order=57, group="situation"))
        # The rollups (atlas/rollup.py): a case save marks the months it touches for the next refresh.
        pre_save.connect(rollup.before_case_save, sender=Case, dispatch_uid="atlas-rollup-before")
        post_save.connect(rollup.after_case_save, sender=Case, dispatch_uid="atlas-rollup-after")
        from fengqiao.cases import hooks

        hooks.cases_saved.connect(rollup.after_cases_saved, dispatch_uid="atlas-rollup-batch")
