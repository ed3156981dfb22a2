"""The case workflow, declared once: states, and for each action the states it may start from
and the state it leads to. The action layer (:mod:`fengqiao.cases.actions`) enforces it for
every caller; the README's state diagram is generated from it (``fengqiao workflow-diagram``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REGISTERED = "registered", _("待受理")
    DISPATCHED = "dispatched", _("待接收")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("办理中")
    MEDIATING = "mediating", _("调解中")
    PAUSED = "paused", _("中止等待")
    RESOLVED = "resolved", _("已化解")
    UNRESOLVED = "unresolved", _("未化解已转介")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")
    MERGED = "merged", _("已合并")
    ARCHIVED = "archived", _("已归档")


OPEN_STATES = frozenset(
    {State.REGISTERED, State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS, State.MEDIATING, State.PAUSED}
)
WORKING_STATES = frozenset({State.ACCEPTED, State.IN_PROGRESS, State.MEDIATING})
# Open states whose deadline clock runs: while a case is paused (中止等待) its clock stands still
# (its deadlines move on by the paused time when it resumes), so it is neither overdue nor stalled.
RUNNING_STATES = OPEN_STATES - {State.PAUSED}
ENDED_STATES = frozenset({State.RESOLVED, State.UNRESOLVED})
FINAL_STATES = frozenset({State.CLOSED, State.WITHDRAWN, State.MERGED, State.ARCHIVED})

SAME = "="  # the action keeps the case in its current state


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str  # a State value, or SAME
    also: frozenset[str] = frozenset()  # other states the action may lead to (decided by its input)

    def allows(self, state: str) -> bool:
        return state in self.sources

    def target_for(self, state: str) -> str:
        return state if self.target == SAME else self.target

    def may_lead_to(self, source: str, state: str) -> bool:
        return state == self.target_for(source) or state in self.also


def _t(
    action: str, sources: set[Any] | frozenset[Any], target: str, also: set[Any] | frozenset[Any] = frozenset()
) -> Transition:
    return Transition(action, frozenset(str(s) for s in sources), str(target), frozenset(str(s) for s in also))


_PRE_WORK = {State.REGISTERED, State.ACCEPTED, State.IN_PROGRESS, State.MEDIATING}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", {State.REGISTERED, State.DISPATCHED}, State.ACCEPTED),
        # Assigning a handler starts the work, but a case under mediation stays 调解中 (its team keeps
        # recording sessions; #17 item 7).
        _t("assign_person", WORKING_STATES | {State.REGISTERED}, State.IN_PROGRESS, also={State.MEDIATING}),
        _t("assign_unit", {State.REGISTERED, State.ACCEPTED}, State.DISPATCHED),
        _t("transfer", _PRE_WORK, State.DISPATCHED),
        _t("decline", {State.DISPATCHED}, State.ACCEPTED),  # the receiver sends a dispatch back
        _t("return", {State.ACCEPTED, State.IN_PROGRESS}, State.DISPATCHED),  # back to the dispatching unit
        _t("escalate", _PRE_WORK, State.DISPATCHED),
        _t("add_assist", WORKING_STATES, SAME),
        _t("joint_meeting", WORKING_STATES, SAME),
        _t("attach_team", WORKING_STATES, State.MEDIATING),
        _t("detach_team", {State.MEDIATING, State.IN_PROGRESS, State.ACCEPTED}, SAME, also={State.IN_PROGRESS}),
        _t("record_session", {State.MEDIATING}, SAME),
        _t("first_contact", WORKING_STATES, SAME),
        _t("pause", WORKING_STATES, State.PAUSED),
        _t("resume", {State.PAUSED}, State.IN_PROGRESS, also=WORKING_STATES),  # back to the state before the pause
        _t("resolve", WORKING_STATES, State.RESOLVED),
        _t("refer", WORKING_STATES, State.UNRESOLVED),
        _t("rate", ENDED_STATES | {State.CLOSED}, SAME),
        _t("return_visit", ENDED_STATES | {State.CLOSED}, SAME),
        _t("close", ENDED_STATES, State.CLOSED),
        # Reopened with its mediation team still on it, a case goes back to 调解中.
        _t("reopen", ENDED_STATES | {State.CLOSED}, State.IN_PROGRESS, also={State.MEDIATING}),
        _t("withdraw", OPEN_STATES, State.WITHDRAWN),
        _t("merge", OPEN_STATES, State.MERGED),
        _t("archive", {State.CLOSED, State.WITHDRAWN, State.MERGED}, State.ARCHIVED),
        _t("update", OPEN_STATES, SAME),
        _t("edit_party", OPEN_STATES | ENDED_STATES, SAME),  # a party added after intake, or corrected
        _t("note", OPEN_STATES | ENDED_STATES, SAME),
        _t("instruct", OPEN_STATES | ENDED_STATES, SAME),
        _t("answer_instruction", OPEN_STATES | ENDED_STATES | {State.CLOSED}, SAME),
        _t("extend", WORKING_STATES, SAME),  # one extension of the deadline by the parties' consent
    ]
}

INITIAL_STATE = State.REGISTERED


def reachable_states() -> set[str]:
    states: set[str] = {INITIAL_STATE}
    for t in TRANSITIONS.values():
        states |= set(t.sources) | set(t.also)
        if t.target != SAME:
            states.add(t.target)
    return states


def mermaid() -> str:
    """The state diagram in Mermaid syntax, generated from TRANSITIONS."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATE.value}: register"]
    for t in TRANSITIONS.values():
        for source in sorted(t.sources):
            targets = ({t.target_for(source)} | set(t.also)) - {source}
            for target in sorted(targets):
                lines.append(f"    {source} --> {target}: {t.action}")
    lines.append(f"    {State.ARCHIVED.value} --> [*]")
    for state in State:
        lines.append(f"    {state.value}: {state.value} {state.label}")
    return "\n".join(lines)
