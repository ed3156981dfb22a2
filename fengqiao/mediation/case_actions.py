"""The case actions mediation adds to the action layer (registered when this module is imported,
from MediationConfig.ready()): the case team (组建/调整调解团队), the sessions held (记录调解) and
joint meetings (召开联席会议). Their transitions and role grants are declared with every other
action's in ``cases.workflow`` and ``cases.policy``."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.actions import ActionInvalid, Ctx, action
from fengqiao.cases.workflow import State
from fengqiao.mediation import inputs
from fengqiao.mediation.models import JointMeeting, MediationSession, TeamMember


@action("joint_meeting", _("召开联席会议"), inputs.JointMeetingInput)
def _joint_meeting(ctx: Ctx) -> None:
    m = JointMeeting.objects.create(case=ctx.case, recorded_by=ctx.actor.user, **ctx.data)
    ctx.event_data = {"meeting": m.pk, "held_at": m.held_at.isoformat()}
    ctx.reason = ctx.data["decisions"]


@action("attach_team", _("组建调解团队"), inputs.AttachTeamInput, public=True)
def _attach_team(ctx: Ctx) -> None:
    c = ctx.case
    added = []
    has_lead = c.team.filter(is_lead=True).exists()
    for m in ctx.data["members"]:
        mediator = m["mediator"]
        if c.team.filter(mediator=mediator).exists():
            raise ActionInvalid(
                gettext("调解员已在团队中。"), {"members": [gettext("%(n)s 已在团队中。") % {"n": mediator.name}]}
            )
        is_lead = m["is_lead"] and not has_lead
        TeamMember.objects.create(case=c, mediator=mediator, is_lead=is_lead, reason=m["reason"])
        ctx.recount.add(mediator.pk)
        added.append({"mediator": mediator.pk, "name": mediator.name, "lead": is_lead})
    if not c.team.filter(is_lead=True).exists():
        first = c.team.order_by("added_at").first()
        if first:
            first.is_lead = True
            first.save(update_fields=["is_lead"])
    ctx.event_data = {"members": added}


@action("detach_team", _("调整调解团队"), inputs.DetachTeamInput)
def _detach_team(ctx: Ctx) -> None:
    member = ctx.case.team.filter(mediator=ctx.data["mediator"]).first()
    if member is None:
        raise ActionInvalid(gettext("该调解员不在团队中。"), {"mediator": [gettext("不在团队中。")]})
    member.delete()
    mediator = ctx.data["mediator"]
    ctx.recount.add(mediator.pk)
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"mediator": mediator.pk, "name": mediator.name}
    if not ctx.case.team.exists() and ctx.case.state == State.MEDIATING:
        ctx.target_state = State.IN_PROGRESS


@action("record_session", _("记录调解"), inputs.SessionInput, public=True)
def _record_session(ctx: Ctx) -> None:
    s = MediationSession.objects.create(case=ctx.case, recorded_by=ctx.actor.user, **ctx.data)
    c = ctx.case
    if c.first_contact_at is None:
        c.first_contact_at = timezone.now()
    ctx.event_data = {
        "session": s.pk,
        "held_at": s.held_at.isoformat(),
        "place": s.place,
        "online": bool(s.online_url),
        "outcome": s.outcome,
    }
