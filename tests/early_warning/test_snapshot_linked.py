"""The full run's snapshot holds only the cases linked to another (by a person on several cases, or by
similar text): a constructed history with the linked set worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fengqiao.early_warning.detectors.snapshot import Snapshot
from fengqiao.early_warning.engine import _analytic_session
from tests.early_warning.helpers import fresh_phone, make_case, run_only

WAGE = "宏达建筑公司拖欠我们农民工工资三个月，多次讨要无果，老板失联，请求帮助追讨工资"
PIGS = "村东头的养猪场臭气熏天，污水直排河道，周边村民多次投诉无人处理，夏天蚊蝇成群"


def unique_text(i: int) -> str:
    """Thirty characters no other text of the test shares a shingle with."""
    return "".join(chr(0x4E00 + (i * 997 + k * 31) % 20000) for k in range(30))


def test_full_snapshot_holds_the_linked_cases_only(org):
    n = iter(range(100))

    def case(days_ago: float, **kw):  # type: ignore[no-untyped-def]
        kw.setdefault("text", unique_text(next(n)))
        return make_case(org, days_ago, **kw)

    # A: one phone on two cases
    p = fresh_phone()
    a1, a2 = case(10, phone=p), case(5, phone=p)
    # B: one person through its ID number: b1 (phone q, ID) and b2 (phone r, ID); r again on b3 alone.
    # q is on one case only, but the ID links b1 to b2, so all three are one person's and linked.
    ident, q, r = "11010519491231002X", fresh_phone(), fresh_phone()
    b1, b2, b3 = case(20, phone=q, id_number=ident), case(12, phone=r, id_number=ident), case(3, phone=r)
    # C: alone
    c1 = case(4)
    # D: two people, the same text within the text window
    d1, d2 = case(3, text=f"{WAGE}，一号工地"), case(2, text=f"{WAGE}，一号工地")
    # E: the same text, but the first is older than the 30-day text window (still in the 180-day window)
    case(100, text=PIGS)
    case(1, text=PIGS)
    # F: one phone, but its first case is before the 180-day window
    f = fresh_phone()
    case(200, phone=f)
    case(2, phone=f)

    snap = Snapshot(timezone.now() + dt.timedelta(minutes=1), 180, text_days=30)
    assert set(snap.rows) == {a1.pk, a2.pk, b1.pk, b2.pk, b3.pk, d1.pk, d2.pk}
    assert c1.pk not in snap.rows
    # B is one person with three cases, as in a snapshot of every case
    (person,) = set(snap.persons_of_case[b1.pk])
    assert snap.cases_of[person] == [b1.pk, b2.pk, b3.pk]
    assert snap.cases_of[snap.persons_of_case[a1.pk][0]] == [a1.pk, a2.pk]

    # with a 120-day text window the E pair is linked too
    wide = Snapshot(timezone.now() + dt.timedelta(minutes=1), 180, text_days=120)
    assert len(wide.rows) == 9


def test_full_run_fires_on_linked_cases_and_skips_the_rest(org):
    """The ID-linked person of three cases (two phones seen once each) still makes a repeat-person
    warning in a full run; the unlinked cases are not read."""
    ident = "11010519491231002X"
    cases = [make_case(org, d, phone=fresh_phone(), id_number=ident) for d in (30, 10, 2)]
    for d in (5, 4, 3):
        make_case(org, d, text=unique_text(d))
    result = run_only("person_repeat", full=True)
    assert [sorted(w.case_ids) for w in result.raised] == [sorted(c.pk for c in cases)]


def test_a_run_on_postgresql_turns_jit_off_and_groups_in_memory(transactional_db):
    """The engine's transaction, and only it, runs without JIT and with 64 MB to group in."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL settings")

    def show(name: str) -> str:
        with connection.cursor() as cur:
            cur.execute(f"SHOW {name}")
            return str(cur.fetchone()[0])

    before = (show("jit"), show("work_mem"))
    with transaction.atomic():
        _analytic_session()
        assert (show("jit"), show("work_mem")) == ("off", "64MB")
    assert (show("jit"), show("work_mem")) == before
