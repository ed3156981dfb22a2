from fengqiao.cases.actions import perform
from fengqiao.cases.workflow import State


def test_register_and_accept(org, new_case):
    assert new_case.state == State.REGISTERED
    assert new_case.owner_unit == org.sub1
    event = perform("accept", new_case, org.actor("handler1"))
    assert event.code == "case.accept"
    assert new_case.state == State.ACCEPTED
    assert new_case.version == 3  # registered, triaged (分流完成), accepted
