"""Labels of warning events, rendered from the code at read time."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS = {
    "warning.raise": _("模型发布预警"),
    "warning.update": _("模型更新预警"),
    "warning.lapse": _("信号消失，自动关闭"),
    "warning.assign": _("交办"),
    "warning.verify": _("核实"),
    "warning.dismiss": _("排除"),
    "warning.measures": _("落实处置措施"),
    "warning.close": _("办结"),
    "warning.notice": _("发布工作提示"),
    "warning.remind": _("超时催办"),
    "warning.escalate": _("超时升级"),
    "notice.issue": _("发布工作提示"),
    "notice.acknowledge": _("签收工作提示"),
    "problem.open": _("立题"),
    "problem.progress": _("填报推进情况"),
    "problem.close": _("办结并形成制度成果"),
}


def event_label(code: str) -> str:
    return str(LABELS.get(code, _("其他操作")))
