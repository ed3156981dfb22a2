from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "fengqiao.gridwork"
    label = "gridwork"
    verbose_name = _("网格工作")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fengqiao.core.menu import MenuItem, register
        from fengqiao.core.registry import register_door_urls

        register_door_urls("portal", "fengqiao.gridwork.urls_portal")
        from fengqiao.gridwork import policy

        register(MenuItem("grid-home", _("网格"), "gridwork:home", policy.VIEW_ROLES, order=15))
        register(MenuItem("volunteers", _("志愿服务"), "gridwork:vol_home", policy.VOLUNTEER_ROLES, order=16))
        register(
            MenuItem(
                "grid-supervision",
                _("网格督导"),
                "gridwork:supervision",
                policy.SUPERVISE_ROLES,
                order=59,
                group="evaluation",
            )
        )
        from fengqiao.gridwork import metrics

        metrics.register_evaluation_metric()
