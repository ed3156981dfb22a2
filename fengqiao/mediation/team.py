"""The case team as the action layer sees it (:data:`fengqiao.cases.hooks.team`, set in
MediationConfig.ready()): whose team a case has, who is on it, and the mediators' cases in hand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from fengqiao.cases.models import Case
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.mediation.models import Mediator, TeamMember


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


class CaseTeam:
    """What :mod:`fengqiao.cases.policy` and the action layer ask about a case's team."""

    def memberships(self, user: Any) -> QuerySet[TeamMember]:
        return TeamMember.objects.filter(mediator__user=user)

    def is_member(self, case: Case, user: Any) -> bool:
        return TeamMember.objects.filter(case=case, mediator__user=user).exists()

    def has_team(self, case: Case) -> bool:
        return TeamMember.objects.filter(case=case).exists()

    def recount(self, case: Case, extra: Iterable[int]) -> None:
        recount_for(case, extra)
