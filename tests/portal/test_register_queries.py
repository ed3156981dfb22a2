"""The request that creates a case is a thin write (phone verified earlier in the session on the citizen form):
a bounded number of queries; a triage drain is queued (coalesced) after the commit, and the inbox fan-out
of the registration follows with the triage step."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.portal import verify
from fengqiao.portal.views import SESSION_KEY
from tests.conftest import Org, case_payload, client_for
from tests.portal.helpers import PHONE, submit_data, token_of

pytestmark = pytest.mark.django_db
# Measured with a warm process (docs/architecture.md, "Queries of a registration"); the issue asks for 12.
# The citizen form: 11, of which 2 are the SAVEPOINT/RELEASE of the test's own transaction (BEGIN/COMMIT
# in production, which Django does not count) and 3 the portal's own checks (form token, both rate
# counters in one query, session); then case, parties, event, audit row (pending: no head lock), the
# applicant's SMS in the outbox, the submission. The API: those 5 writes, and no lookup (the unit and
# type from the per-process field memo, the answer from what was just written).
PORTAL_MAX = 11
API_MAX = 5


def _no_drain_queued() -> None:
    from django.core.cache import cache

    from fengqiao.triage.handoff import DRAIN_QUEUED_KEY

    cache.delete(DRAIN_QUEUED_KEY)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[str]:
    """What the request queues (as with a broker: the work runs in a worker, not in the request)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    names: list[str] = []
    _no_drain_queued()
    monkeypatch.setattr("fengqiao.core.tasks.enqueue", lambda task, *args: names.append(task.name.split(".")[-1]))
    return names


def test_citizen_form_creates_a_case_in_at_most_12_queries(
    org: Org,
    client: Any,
    queued: list[str],
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    session = client.session
    session[SESSION_KEY] = {"hash": verify.phone_hash(PHONE), "at": timezone.now().isoformat()}
    session.save()
    token = token_of(client.get(f"/portal/submit/?unit={org.village1.code}").content.decode())
    client.post("/portal/submit/", submit_data(token, org.village1.code))  # a warm process: caches filled
    queued.clear()
    _no_drain_queued()  # the warm-up's drain has started (else this one would be coalesced into it)
    token = token_of(client.get(f"/portal/submit/?unit={org.village1.code}").content.decode())
    before = Case.objects.count()
    with django_assert_max_num_queries(PORTAL_MAX), django_capture_on_commit_callbacks(execute=True):
        r = client.post("/portal/submit/", submit_data(token, org.village1.code))
    assert r.status_code == 302, r.content.decode()[:500]
    assert Case.objects.count() == before + 1
    assert queued.count("drain_pending") == 1  # (+ an SMS relay kick)
    assert not [n for n in queued if n.startswith("fanout")], "the inbox fan-out comes with the triage step"


def test_api_creates_a_case_in_at_most_12_queries(
    org: Org, queued: list[str], django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = client_for(org.user("dispatcher"))
    api.post("/api/cases/", case_payload(org), format="json")  # a warm process: caches filled
    queued.clear()
    _no_drain_queued()  # the warm-up's drain has started (else this one would be coalesced into it)
    with django_assert_max_num_queries(API_MAX), django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/cases/", case_payload(org), format="json")
    assert r.status_code == 201, r.content.decode()[:500]
    assert queued.count("drain_pending") == 1  # (+ an SMS relay kick)
    assert not [n for n in queued if n.startswith("fanout")], "the inbox fan-out comes with the triage step"


def test_the_answer_of_a_fresh_case_is_what_a_read_shows(
    org: Org, queued: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    """The create answer is built from what the request wrote (no lookups); it must equal the case as read
    back (parties masked the same way, no assisting unit or team yet)."""
    api = client_for(org.user("dispatcher"))
    payload = case_payload(org)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/cases/", payload, format="json")
    assert created.status_code == 201, created.content.decode()[:500]
    read = api.get(f"/api/cases/{created.json()['code']}/")
    body, again = created.json(), read.json()
    assert len(body["parties"]) == 2 and "13900001111" not in created.content.decode()
    for key in ("parties", "assisting_units", "team", "location_unit", "owner_unit", "state", "allowed_actions"):
        assert body[key] == again[key], key
