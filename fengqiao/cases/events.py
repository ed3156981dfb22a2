"""Event codes and how they read. Labels are rendered at display time (never stored translated)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, Any] = {
    "case.register": _("登记受理"),
    "case.triage": _("分流完成"),
    "case.accept": _("接收受理"),
    "case.assign_person": _("指派承办人"),
    "case.assign_unit": _("交办"),
    "case.transfer": _("转办"),
    "case.decline": _("拒收退回"),
    "case.return": _("退回"),
    "case.escalate": _("上报升级"),
    "case.add_assist": _("增加协办单位"),
    "case.joint_meeting": _("联席会议"),
    "case.attach_team": _("组建调解团队"),
    "case.detach_team": _("调整调解团队"),
    "case.record_session": _("调解记录"),
    "case.first_contact": _("联系当事人"),
    "case.pause": _("中止计时"),
    "case.resume": _("恢复办理"),
    "case.resolve": _("化解"),
    "case.refer": _("未化解转介"),
    "case.rate": _("群众评价"),
    "case.return_visit": _("回访"),
    "case.close": _("办结"),
    "case.reopen": _("重新办理"),
    "case.withdraw": _("撤回"),
    "case.merge": _("合并"),
    "case.archive": _("归档"),
    "case.update": _("修改信息"),
    "case.edit_party": _("登记/更正当事人"),
    "case.note": _("备注"),
    "case.instruct": _("领导批示"),
    "case.colour": _("督办变色"),
    "case.remind": _("时限提醒"),
    "case.instruction_remind": _("批示催办"),
    "case.answer_instruction": _("回复批示"),
    "case.extend": _("延长时限（当事人同意）"),
}

# Plain-language wording for citizens (public events only).
PUBLIC_WORDING: dict[str, Any] = {
    "case.register": _("您反映的事项已登记"),
    "case.accept": _("责任单位已受理"),
    "case.assign_person": _("已安排专人办理"),
    "case.assign_unit": _("已交办给责任单位"),
    "case.transfer": _("已转交更合适的单位办理"),
    "case.escalate": _("已上报上级统筹处理"),
    "case.attach_team": _("已组建调解团队"),
    "case.record_session": _("已开展调解"),
    "case.first_contact": _("工作人员已与您联系"),
    "case.resolve": _("事项已化解"),
    "case.refer": _("已引导通过其他途径解决"),
    "case.rate": _("您已评价"),
    "case.close": _("事项已办结"),
    "case.reopen": _("事项已重新办理"),
    "case.withdraw": _("事项已撤回"),
    "case.merge": _("已与相同事项合并办理"),
    "case.note": _("办理进展"),
    "case.extend": _("经当事人同意，办理时限已延长"),
}


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def public_wording(code: str) -> str:
    return str(PUBLIC_WORDING.get(code, EVENT_LABELS.get(code, code)))


# Where an event came through (``CaseEvent.via``): the door, or the background job, that wrote it.
VIA_LABELS: dict[str, Any] = {
    "web": _("工作台"),
    "api": _("系统接口"),
    "portal": _("群众端"),
    "sweep": _("督办巡查（系统）"),
    "demo": _("演示数据"),
    "bench": _("压测数据"),
    "import": _("台账导入"),
    "inbound": _("外部系统推送"),
    "open311": _("Open311 接口"),
    "hotline-screen": _("热线坐席"),
    "test": _("测试"),
}


def via_label(via: str) -> str:
    """The label of an event's ``via`` (a channel code reads as its channel); never the raw token."""
    from fengqiao.cases.choices import Channel

    if via in VIA_LABELS:
        return str(VIA_LABELS[via])
    if via in Channel.values:
        return str(Channel(via).label)
    return str(_("系统")) if via else ""
