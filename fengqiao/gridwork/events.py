"""Labels of grid-work events, rendered from the code at read time."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "patrol.start": _("开始巡查"),
    "patrol.checkin": _("巡查签到"),
    "patrol.stop": _("结束巡查"),
    "visit.plan": _("安排走访"),
    "visit.record": _("记录走访"),
    "visit.cancel": _("取消走访"),
    "report.case": _("现场上报案件"),
    "delivery.record": _("文书送达"),
}


def event_label(code: str) -> str:
    return str(LABELS.get(code, _("其他操作")))
