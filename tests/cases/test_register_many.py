"""Bulk registration (register_many): the same rules and records as register_case, row by row."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, register_case, register_many
from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.core import audit, crypto
from fengqiao.core.models import AuditEntry
from fengqiao.notify.models import OutboundMessage
from fengqiao.triage.models import TextSignature, TriageResult
from tests.conftest import Org, case_payload

pytestmark = pytest.mark.django_db


def rows(org: Org, n: int, **overrides: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        p = case_payload(org, **overrides)
        p["title"] = f"{p['title']}{i}"
        p["parties"] = [{"role": "applicant", "name": f"村民{i}", "phone": f"1391234{i:04d}"}]
        out.append(p)
    return out


def test_each_row_gets_a_case_an_event_an_audit_row_and_a_triage_result(org: Org) -> None:
    audit_before = AuditEntry.objects.count()
    done = register_many(org.actor("dispatcher"), rows(org, 5), via="test")
    assert [r.created for r in done] == [True] * 5 and all(r.error is None for r in done)
    cases = [r.case for r in done]
    assert len({c.code for c in cases}) == 5
    for c in cases:
        c.refresh_from_db()
        assert (c.state, c.version, c.owner_unit_id) == ("registered", 2, org.sub1.pk)  # 2: triage followed
        assert c.owner_path == org.sub1.path and c.location_path == org.village1.path
        assert c.accept_due is not None and c.due_at is not None
        event, triaged = CaseEvent.objects.filter(case=c).order_by("pk")
        assert (event.code, event.via, event.version, event.public) == ("case.register", "test", 1, True)
        assert (triaged.code, triaged.via, triaged.version, triaged.public) == ("case.triage", "triage", 2, False)
        assert triaged.data["triage"]["explanation"]
        assert TriageResult.objects.filter(case=c).count() == 1
        assert TextSignature.objects.filter(case=c).count() == 1
    assert AuditEntry.objects.count() == audit_before + 10  # one per registration, one per triage step
    assert [e.object_id for e in AuditEntry.objects.order_by("-id")[:5]][::-1] == [str(c.pk) for c in cases]
    checked, problem = audit.verify_chain()
    assert problem is None and checked >= 5
    party = Party.objects.get(case=cases[2])
    assert party.phone == "13912340002" and party.phone_hash == crypto.search_hash("13912340002")


def test_same_result_as_register_case(org: Org) -> None:
    payload = case_payload(org, channel="phone", risk="medium")
    one, _ = register_case(org.actor("dispatcher"), dict(payload, external_ref="single"), via="test")
    (many,) = register_many(org.actor("dispatcher"), [dict(payload, external_ref="bulk")], via="test")
    a, b = one, many.case
    assert b is not None
    fields = ["owner_unit_id", "level", "priority", "risk", "category_id", "location_unit_id", "deadline_policy_id"]
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
    assert (b.due_at - b.created_at) == (a.due_at - a.created_at)


def test_a_repeated_external_reference_returns_the_existing_case(org: Org) -> None:
    first, _ = register_case(org.actor("dispatcher"), case_payload(org, external_ref="R-1"), via="test")
    batch = rows(org, 3)
    batch[0]["external_ref"] = "R-1"  # known already
    batch[1]["external_ref"] = batch[2]["external_ref"] = "R-2"  # twice in the batch
    done = register_many(org.actor("dispatcher"), batch, via="test")
    assert (done[0].case, done[0].created) == (first, False)
    assert done[1].created and not done[2].created and done[2].case == done[1].case
    assert Case.objects.filter(external_ref="R-2").count() == 1


def test_a_bad_row_gets_its_error_and_the_others_are_written(org: Org) -> None:
    batch = rows(org, 3)
    batch[1]["title"] = ""
    batch[2]["owner_unit"] = org.sub2.pk  # the town-1 dispatcher cannot register into town 2
    done = register_many(org.actor("sub1_dispatcher"), batch, via="test")
    assert done[0].created and done[0].error is None
    assert isinstance(done[1].error, ActionInvalid) and "title" in done[1].error.errors
    assert isinstance(done[2].error, ActionForbidden)
    assert done[1].case is None and done[2].case is None
    assert Case.objects.count() == 1
    assert sorted(CaseEvent.objects.values_list("code", flat=True)) == ["case.register", "case.triage"]


def test_later_rows_see_earlier_rows_of_the_same_batch_as_duplicates(org: Org) -> None:
    text = "隔壁新建三层楼房挡住我家采光，多次协商未果，请求调解处理，希望尽快安排人员到现场查看。"
    batch = [case_payload(org, description=text), case_payload(org, description=text)]  # same phone
    first, second = register_many(org.actor("dispatcher"), batch, via="test")
    assert first.case is not None and second.case is not None
    r1 = TriageResult.objects.get(case=first.case)
    r2 = TriageResult.objects.get(case=second.case)
    assert r1.duplicates == [], "the first row has nothing registered before it"
    assert [d["code"] for d in r2.duplicates] == [first.case.code]
    assert r2.duplicates[0]["suggest"] == "merge"


def test_event_receivers_run_for_every_row(org: Org) -> None:
    done = register_many(org.actor("dispatcher"), rows(org, 3, channel="phone"), via="hotline")
    for r in done:
        assert r.case is not None
        assert OutboundMessage.objects.filter(case=r.case, channel="sms").count() == 1
    # An imported ledger does not text anyone.
    register_many(org.actor("dispatcher"), rows(org, 2, title="台账"), via="import")
    assert OutboundMessage.objects.count() == 3


def test_nothing_is_written_for_an_empty_batch(org: Org) -> None:
    assert register_many(org.actor("dispatcher"), [], via="test") == []
    assert Case.objects.count() == 0
