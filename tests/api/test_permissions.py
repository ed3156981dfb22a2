"""The permission matrix of the case API: who sees which case, and what happens when they act.

Four cases, one per kind of ownership:

* ``town1``        — registered at 白塔村, owned by the 白塔镇综治中心 (sub1, under town1)
* ``town2``        — registered at 田市村, owned by the 田市镇综治中心 (sub2, under town2)
* ``dept``         — registered by the 人社局 handler for the 人社局 (a county department)
* ``pending_dept`` — owned by sub2 and assigned to the 人社局, not yet accepted (首接负责: sub2 is
  still responsible, the 人社局 may only accept or decline)

Scopes (``org`` fixture): dispatcher, county_leader, supervisor — county; sub1_dispatcher,
handler1, leader1 — town1; mediator_user — sub1; grid_worker — grid1; handler2 — town2;
dept_handler — dept; taskforce_handler — task force; sysadmin — system administration only;
nobody — no role.

Expected, per (user, case): ``V`` visible (in the list, detail 200) or ``-`` invisible (not in
the list, detail 404 — never 403, which would confirm the case exists); then the answer to
``POST /api/cases/{code}/actions/withdraw/`` (withdraw needs dispatcher or handler at the
*owner* unit): 200 done, 403 visible but no such role there, 404 out of scope.

=================  ========  ========  ========  ============
user               town1     town2     dept      pending_dept
=================  ========  ========  ========  ============
dispatcher         V 200     V 200     V 200     V 200
sub1_dispatcher    V 200     - 404     - 404     - 404
handler1           V 200     - 404     - 404     - 404
handler2           - 404     V 200     - 404     V 200
dept_handler       - 404     - 404     V 200     V 403
grid_worker        - 404     - 404     - 404     - 404
mediator_user      V 403     - 404     - 404     - 404
leader1            V 403     - 404     - 404     - 404
county_leader      V 403     V 403     V 403     V 403
supervisor         V 403     V 403     V 403     V 403
taskforce_handler  - 404     - 404     - 404     - 404
sysadmin           - 404     - 404     - 404     - 404
nobody             - 404     - 404     - 404     - 404
=================  ========  ========  ========  ============

Unauthenticated requests get 401/403 everywhere.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.cases.policy import grant_for, restrict
from fengqiao.cases.workflow import TRANSITIONS, State
from fengqiao.core.models import AuditEntry
from tests.conftest import Org, client_for
from tests.helpers import new_case, world_snapshot

OBJECTS = ["town1", "town2", "dept", "pending_dept"]

MATRIX_TEXT = """
dispatcher         V 200     V 200     V 200     V 200
sub1_dispatcher    V 200     - 404     - 404     - 404
handler1           V 200     - 404     - 404     - 404
handler2           - 404     V 200     - 404     V 200
dept_handler       - 404     - 404     V 200     V 403
grid_worker        - 404     - 404     - 404     - 404
mediator_user      V 403     - 404     - 404     - 404
leader1            V 403     - 404     - 404     - 404
county_leader      V 403     V 403     V 403     V 403
supervisor         V 403     V 403     V 403     V 403
taskforce_handler  - 404     - 404     - 404     - 404
sysadmin           - 404     - 404     - 404     - 404
nobody             - 404     - 404     - 404     - 404
"""


def _parse(text: str) -> dict[tuple[str, str], tuple[bool, int]]:
    out: dict[tuple[str, str], tuple[bool, int]] = {}
    for line in text.strip().splitlines():
        user, *cells = line.split()
        pairs = list(zip(cells[::2], cells[1::2], strict=True))
        assert len(pairs) == len(OBJECTS), line
        for obj, (seen, code) in zip(OBJECTS, pairs, strict=True):
            out[(user, obj)] = (seen == "V", int(code))
    return out


MATRIX = _parse(MATRIX_TEXT)
USERS = sorted({user for user, _ in MATRIX})


def test_matrix_is_documented_in_the_module_docstring() -> None:
    doc = __doc__ or ""
    for line in MATRIX_TEXT.strip().splitlines():
        assert line in doc


def test_matrix_covers_every_user_of_the_org(org: Org) -> None:
    assert set(USERS) == set(org.users)


def make_cases(org: Org) -> dict[str, Case]:
    cases = {
        "town1": new_case(org),
        "town2": new_case(org, title="田市镇噪音扰民", category="0202", location_unit=org.village2.pk),
        "dept": new_case(org, who="dept_handler", title="拖欠工资", category=None, owner_unit=org.dept.pk),
        "pending_dept": new_case(org, title="工程款纠纷", location_unit=org.village2.pk),
    }
    perform("assign_unit", cases["pending_dept"], org.actor("dispatcher"), {"unit": org.dept.pk})
    assert cases["town1"].owner_unit == org.sub1
    assert cases["town2"].owner_unit == org.sub2
    assert cases["dept"].owner_unit == org.dept
    assert (cases["pending_dept"].owner_unit, cases["pending_dept"].pending_unit) == (org.sub2, org.dept)
    return cases


@pytest.mark.parametrize(("user", "obj"), sorted(MATRIX), ids=[f"{u}-{o}" for u, o in sorted(MATRIX)])
def test_matrix(org: Org, user: str, obj: str) -> None:
    cases = make_cases(org)
    case = cases[obj]
    visible, withdraw_status = MATRIX[(user, obj)]
    client = client_for(org.user(user))

    # The list holds exactly the cases this user may see.
    response = client.get("/api/cases/")
    assert response.status_code == 200
    listed = {row["code"] for row in response.json()["results"]}
    expected = {cases[o].code for o in OBJECTS if MATRIX[(user, o)][0]}
    assert listed == expected

    # Detail: 200 or 404, never 403.
    response = client.get(f"/api/cases/{case.display_code}/")
    assert response.status_code == (200 if visible else 404)
    timeline = client.get(f"/api/cases/{case.code}/timeline/")
    assert timeline.status_code == (200 if visible else 404)
    if visible:
        allowed = response.json()["allowed_actions"]
        assert ("withdraw" in allowed) == (withdraw_status == 200)

    # Acting: 404 out of scope, 403 visible without the role, 200 when allowed.
    before = world_snapshot(case)
    response = client.post(f"/api/cases/{case.code}/actions/withdraw/", {"reason": "测试"}, format="json")
    assert response.status_code == withdraw_status, response.content
    case.refresh_from_db()
    if withdraw_status == 200:
        assert case.state == State.WITHDRAWN
        assert response.json()["event"]["code"] == "case.withdraw"
    else:
        assert world_snapshot(case) == before
        assert case.state != State.WITHDRAWN
        if withdraw_status == 403:
            assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("user", USERS)
def test_the_receiving_unit_may_accept_only_what_is_pending_to_it(org: Org, user: str) -> None:
    cases = make_cases(org)
    case = cases["pending_dept"]
    may_accept = user in {"dispatcher", "dept_handler"}
    visible = MATRIX[(user, "pending_dept")][0]
    response = client_for(org.user(user)).post(f"/api/cases/{case.code}/actions/accept/", {}, format="json")
    assert response.status_code == (200 if may_accept else 403 if visible else 404)
    case.refresh_from_db()
    assert case.owner_unit == (org.dept if may_accept else org.sub2)


def test_restrict_agrees_with_grant_for(org: Org) -> None:
    """``restrict(qs, user, action)`` selects exactly the cases on which ``grant_for`` grants the action."""
    cases = make_cases(org)
    perform("accept", cases["town1"], org.actor("handler1"))
    perform("add_assist", cases["town1"], org.actor("handler1"), {"units": [org.dept2.pk], "lead_unit": org.dept2.pk})
    perform("attach_team", cases["town1"], org.actor("handler1"), {"members": [{"mediator": org.mediator.pk}]})
    pks = [c.pk for c in cases.values()]
    for name in TRANSITIONS:
        for user in org.users.values():
            got = set(restrict(Case.objects.filter(pk__in=pks), user, name).values_list("pk", flat=True))
            want = {c.pk for c in Case.objects.filter(pk__in=pks) if grant_for(user, name, c) is not None}
            assert got == want, (name, user.username)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/cases/"),
        ("post", "/api/cases/"),
        ("get", "/api/cases/{code}/"),
        ("get", "/api/cases/{code}/timeline/"),
        ("post", "/api/cases/{code}/actions/withdraw/"),
        ("post", "/api/cases/{code}/reveal/"),
        ("get", "/api/me/"),
    ],
)
def test_unauthenticated_is_refused(org: Org, method: str, path: str) -> None:
    case = new_case(org)
    before = world_snapshot(case)
    response = getattr(APIClient(), method)(path.format(code=case.code), {}, format="json")
    assert response.status_code in (401, 403)
    assert case.code not in response.content.decode()
    assert world_snapshot(case) == before
    assert AuditEntry.objects.filter(action="pii.reveal").count() == 0


def test_unknown_action_and_malformed_code_are_404(org: Org) -> None:
    case = new_case(org)
    client = client_for(org.user("dispatcher"))
    assert client.post(f"/api/cases/{case.code}/actions/teleport/", {}, format="json").status_code == 404
    assert client.get("/api/cases/NOT-A-CODE/").status_code == 404
    bad_check = case.code[:-1] + ("0" if case.code[-1] != "0" else "1")
    assert client.get(f"/api/cases/{bad_check}/").status_code == 404
