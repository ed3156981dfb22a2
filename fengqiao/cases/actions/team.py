"""Actions of the mediation work: team, sessions, joint meetings, first contact."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import inputs
from fengqiao.cases.actions.base import (
    ActionInvalid,
    Ctx,
    action,
)
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.mediation.models import JointMeeting, MediationSession, Mediator, TeamMember


def recount_in_hand(mediator_ids: Iterable[int]) -> None:
    """Set each mediator's cases-in-hand counter (在办案件数) to what it is: the open cases whose team
    they are on. Counted, never incremented, so reopen, resolve, pause and team changes in any order
    leave it right (#17 item 7); the same figure as evaluation's ``track_records`` "in_hand"."""
    ids = sorted(set(mediator_ids))
    if not ids:
        return
    counts = dict(
        TeamMember.objects.filter(mediator_id__in=ids, case__state__in=list(OPEN_STATES))
        .values("mediator_id")
        .annotate(n=Count("case_id", distinct=True))
        .values_list("mediator_id", "n")
    )
    for m in Mediator.objects.filter(pk__in=ids).order_by("pk").select_for_update():
        n = counts.get(m.pk, 0)
        if m.active_cases != n:  # saved (not updated in bulk): the register's own audit signal records it
            m.active_cases = n
            m.save(update_fields=["active_cases"])


def recount_for(case: Case, extra: Iterable[int] = ()) -> None:
    """Recount the counters of ``case``'s team (and of ``extra``, mediators just taken off it)."""
    recount_in_hand(set(TeamMember.objects.filter(case=case).values_list("mediator_id", flat=True)) | set(extra))


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


@action("first_contact", _("联系当事人"), inputs.FirstContactInput, public=True)
def _first_contact(ctx: Ctx) -> None:
    c = ctx.case
    if c.first_contact_at is None:
        c.first_contact_at = timezone.now()
    ctx.reason = ctx.data["note"]
    ctx.event_data = {"method": ctx.data["method"]}
