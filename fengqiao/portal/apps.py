from typing import Any

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fengqiao.portal"
    verbose_name = "群众端"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from fengqiao.cases.models import CaseEvent
        from fengqiao.notify.templates import APPLICANT_ADDRESSES, on_event_saved

        post_save.connect(on_event_saved, sender=CaseEvent, dispatch_uid="portal-sms-per-public-event")
        if wechat_address not in APPLICANT_ADDRESSES:
            APPLICANT_ADDRESSES.append(wechat_address)


def wechat_address(case: Any) -> tuple[str, str] | None:
    """The applicant submitted through our WeChat account: we hold their OpenID (notify asks first)."""
    from fengqiao.portal.models import Submission

    openid = (
        Submission.objects.filter(case=case).exclude(wechat_openid="").values_list("wechat_openid", flat=True).first()
    )
    return ("wechat", str(openid)) if openid else None
