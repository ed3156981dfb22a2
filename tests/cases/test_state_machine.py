"""Random walks through the workflow (hypothesis stateful testing).

Random actions with plausible random input, taken by random users of the ``org`` fixture on a few
cases. After each step: the state is one of the declared states, a successful action wrote exactly
one event and bumped the version by one, a refused action changed nothing and was refused for the
right reason (input → 400, transition → 409, grant → 403, version → 412), the latest event's
``state_after`` is the case's state and the audit chain verifies.

Each hypothesis example runs inside a savepoint of the test's transaction, rolled back at teardown,
so the examples do not see each other's cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fengqiao.cases.actions import (
    ACTIONS,
    ActionError,
    ActionForbidden,
    ActionInvalid,
    Actor,
    InvalidTransition,
    StaleVersion,
    perform,
    validate,
)
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.policy import allowed_actions, grant_for
from fengqiao.cases.workflow import TRANSITIONS, WORKING_STATES, State, reachable_states
from fengqiao.core.audit import verify_chain
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import Mediator
from fengqiao.org.models import Unit
from tests.conftest import Org
from tests.helpers import new_case, world_snapshot

# Valid values first: hypothesis favours the first option of ``sampled_from``.
REASONS = st.sampled_from(["理由说明", "当事人要求", "", "x" * 30])


def input_strategy(name: str, org: Org, codes: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    units = st.sampled_from(sorted(Unit.objects.values_list("pk", flat=True)))
    users = st.sampled_from(sorted(u.pk for u in org.users.values()))
    mediators = st.sampled_from(sorted(Mediator.objects.values_list("pk", flat=True)))
    flag = st.booleans()
    when = st.integers(min_value=1, max_value=72).map(lambda h: (timezone.now() - dt.timedelta(hours=h)).isoformat())
    d = st.fixed_dictionaries
    return {
        "accept": d({}, optional={"reason": REASONS}),
        "assign_person": d({"handler": users}, optional={"reason": REASONS}),
        "assign_unit": d({"unit": units}, optional={"reason": REASONS}),
        "transfer": d({"unit": units, "reason": REASONS}),
        "extend": d({"days": st.integers(min_value=1, max_value=40), "consent": REASONS}),
        "decline": d({"reason": REASONS}),
        "return": d({"reason": REASONS}),
        "escalate": d({"reason": REASONS}, optional={"unit": st.one_of(st.none(), units)}),
        "add_assist": d(
            {"units": st.lists(units, min_size=1, max_size=3)}, optional={"lead_unit": units, "reason": REASONS}
        ),
        "joint_meeting": d({"held_at": when, "attendees": st.just("各部门"), "minutes": st.just("纪要")}),
        "attach_team": d(
            {
                "members": st.lists(
                    st.fixed_dictionaries({"mediator": mediators, "is_lead": flag}), min_size=1, max_size=2
                )
            }
        ),
        "detach_team": d({"mediator": mediators, "reason": REASONS}),
        "record_session": d(
            {"held_at": when, "notes": st.just("调解记录")},
            optional={
                "place": st.sampled_from(["调解室", ""]),
                "online_url": st.sampled_from(["https://meet.example.cn/1", "", "http://meet.example.cn/1"]),
                "outcome": st.sampled_from(["ongoing", "agreed", "failed"]),
            },
        ),
        "first_contact": d({"method": st.sampled_from(["phone", "visit", "meeting", "fax"])}),
        "pause": d({"reason": st.sampled_from(["party", "appraisal", "court", "other"])}),
        "resume": d({}, optional={"reason": REASONS}),
        "resolve": d({"agreement": flag, "matter_settled": flag, "grievance_settled": flag, "result": REASONS}),
        "refer": d({"referral": st.sampled_from(["litigation", "arbitration", "other"]), "reason": REASONS}),
        "rate": d({"satisfaction": st.sampled_from(["satisfied", "basic", "unsatisfied"])}),
        "return_visit": d(
            {"method": st.sampled_from(["phone", "visit"]), "matter_settled": flag, "grievance_settled": flag}
        ),
        "close": d({}, optional={"reason": REASONS}),
        "reopen": d({"reason": REASONS}),
        "withdraw": d({}, optional={"reason": REASONS}),
        "merge": d({"into": st.sampled_from([*codes, "ZZZZZZZZZZZZ"])}, optional={"reason": REASONS}),
        "archive": d({}),
        "update": d(
            {},
            optional={
                "title": st.sampled_from(["新标题", ""]),
                "people_count": st.integers(min_value=0, max_value=5),
                "priority": st.sampled_from([1, 2, 3, 4]),
            },
        ),
        "note": d({"text": st.sampled_from(["进展", ""])}, optional={"public": flag}),
        "edit_party": d(
            {"reason": REASONS},
            optional={
                "party": st.integers(1, 12),
                "name": st.sampled_from(["王五", ""]),
                "phone": st.sampled_from(["13900001111", "123"]),
                "role": st.sampled_from(["applicant", "respondent", "x"]),
            },
        ),
        "instruct": d({"text": st.sampled_from(["请尽快化解", ""])}),
        "answer_instruction": d({"instruction": st.integers(1, 40), "answer": st.sampled_from(["已落实", ""])}),
    }[name]


class CaseWorkflowMachine(RuleBasedStateMachine):
    org: Org  # set by the test before the machine runs
    visited: set[str] = set()  # states reached over all examples
    outcomes: dict[str, int] = {}  # "ok" / exception name → count, over all examples

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        org = self.org
        self.cases = [
            new_case(org).pk,
            new_case(org, title="另一件", location_unit=org.village2.pk).pk,
            new_case(org, who="grid_worker", owner_unit=org.grid1.pk).pk,
        ]
        self.codes = list(Case.objects.filter(pk__in=self.cases).values_list("code", flat=True))
        self.users = sorted(org.users)
        self.picks = 0

    def pick(self, draw: Any, options: list[Any]) -> Any:
        """A near-uniform choice from a drawn seed mixed with a per-example counter. Hypothesis leans
        hard on the first option of ``sampled_from`` and on a few favourite integers, which made the
        walk repeat one action instead of exploring; this stays reproducible from the draws."""
        self.picks += 1
        return random.Random(f"{draw(st.integers(0, 2**32 - 1))}/{self.picks}").choice(options)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _attempt(self, draw: Any, case_pk: int, name: str, who: str) -> None:
        org = self.org
        data = draw(input_strategy(name, org, self.codes))
        case = Case.objects.get(pk=case_pk)
        stale = self.pick(draw, [None] * 6 + [case.version, case.version - 1])
        user = org.user(who)
        before = world_snapshot(case)

        # The oracle: which refusal comes first.
        try:
            validate(ACTIONS[name].input, data, {"actor": Actor.staff(user)})
            input_ok = True
        except ActionInvalid:
            input_ok = False
        if not input_ok:
            expected: type[ActionError] | None = ActionInvalid
        elif stale is not None and stale != case.version:
            expected = StaleVersion
        elif not TRANSITIONS[name].allows(case.state):
            expected = InvalidTransition
        elif grant_for(user, name, case) is None:
            expected = ActionForbidden
        else:
            expected = None  # succeeds, or the action itself finds the input inapplicable (400)

        try:
            event = perform(name, case_pk, Actor.staff(user), data, expected_version=stale, via="fuzz")
        except ActionError as exc:
            self.outcomes[type(exc).__name__] = self.outcomes.get(type(exc).__name__, 0) + 1
            assert world_snapshot(case) == before, f"refused {name} changed something"
            if expected is None:
                assert type(exc) is ActionInvalid, (name, who, data, exc)
            else:
                assert type(exc) is expected, (name, who, data, case.state, exc)
            return
        assert expected is None, f"{name} by {who} in {case.state} should have been refused with {expected}"
        after = Case.objects.get(pk=case_pk)
        assert after.version == case.version + 1
        assert CaseEvent.objects.count() == before["events"] + 1
        new_rows = AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - before["audit"]]
        assert [r.action for r in new_rows if r.action.startswith("case.")] == [f"case.{name}"]
        assert event.code == f"case.{name}"
        assert (event.state_before, event.state_after) == (case.state, after.state)
        assert TRANSITIONS[name].may_lead_to(case.state, after.state), (name, case.state, after.state)
        if name == "resume":
            assert after.state in WORKING_STATES
        self.outcomes["ok"] = self.outcomes.get("ok", 0) + 1
        self.outcomes["ok:" + name] = self.outcomes.get("ok:" + name, 0) + 1
        self.visited.add(after.state)

    @rule(data=st.data(), case=st.integers(0, 2))
    def any_action(self, data: Any, case: int) -> None:
        name, who = self.pick(data.draw, sorted(ACTIONS)), self.pick(data.draw, self.users)
        self._attempt(data.draw, self.cases[case], name, who)

    @rule(data=st.data(), case=st.integers(0, 2))
    def an_allowed_action(self, data: Any, case: int) -> None:
        self._allowed(data, case)

    @rule(data=st.data(), case=st.integers(0, 2))
    def another_allowed_action(self, data: Any, case: int) -> None:
        self._allowed(data, case)

    def _allowed(self, data: Any, case: int) -> None:
        """Bias the walk toward progress (two rules of three): an action the policy offers to a user."""
        obj = Case.objects.select_related("owner_unit", "pending_unit", "lead_unit").get(pk=self.cases[case])
        # Five users of the thirteen per step: asking the policy for everyone made the walk slow.
        users = random.Random(f"{data.draw(st.integers(0, 2**32 - 1))}/{self.picks}").sample(self.users, 5)
        pairs = [(who, name) for who in users for name in allowed_actions(self.org.user(who), obj)]
        if not pairs:
            return
        # Ending a case early (withdraw, merge) stops the walk: prefer the other actions.
        weighted = [p for p in pairs if p[1] not in {"withdraw", "merge"}] * 4 + pairs
        who, name = self.pick(data.draw, weighted)
        self._attempt(data.draw, obj.pk, name, who)

    @invariant()
    def states_are_declared_and_events_match(self) -> None:
        reachable = reachable_states()
        for case in Case.objects.filter(pk__in=self.cases):
            assert case.state in reachable
            events = list(case.events.order_by("at", "id"))
            assert len(events) == case.version, "one event per version"
            assert [e.version for e in events] == list(range(1, case.version + 1))
            assert events[-1].state_after == case.state
            for prev, nxt in itertools.pairwise(events):
                assert nxt.state_before == prev.state_after
            assert (case.state == State.DISPATCHED) == (case.pending_unit_id is not None), case.state
            if case.state == State.PAUSED:
                assert case.paused_from in WORKING_STATES

    @invariant()
    def audit_chain_verifies(self) -> None:
        count, problem = verify_chain()
        assert problem is None, problem
        assert count == AuditEntry.objects.count()


def test_random_walks_keep_the_invariants(org: Org) -> None:
    CaseWorkflowMachine.org = org
    CaseWorkflowMachine.visited = set()
    CaseWorkflowMachine.outcomes = {}
    run_state_machine_as_test(
        CaseWorkflowMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The walk must actually get somewhere, and meet every kind of refusal on the way.
    outcomes = CaseWorkflowMachine.outcomes
    assert outcomes.get("ok", 0) >= 60, outcomes
    assert {"ActionInvalid", "InvalidTransition", "ActionForbidden", "StaleVersion"} <= set(outcomes), outcomes
    assert len(CaseWorkflowMachine.visited) >= 6, CaseWorkflowMachine.visited


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_declared_targets_are_states(name: str) -> None:
    t = TRANSITIONS[name]
    assert t.sources, name
    assert t.sources <= {s.value for s in State}
    assert t.target == "=" or t.target in {s.value for s in State}
