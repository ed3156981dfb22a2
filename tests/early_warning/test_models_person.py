"""Key-person models on constructed histories: fire when they should, quiet on clean data, no
duplicate on a rerun."""

from __future__ import annotations

from fengqiao.early_warning.models import Level, Warning
from tests.early_warning.helpers import close_case, codes_of, fresh_phone, make_case, run_only


def test_repeat_person_fires_once_and_updates(org):
    phone = fresh_phone()
    cases = [make_case(org, d, phone=phone) for d in (40, 20, 5)]
    make_case(org, 3)  # another person
    result = run_only("person_repeat")
    assert codes_of(result) == ["person_repeat"]
    w = result.raised[0]
    assert sorted(w.case_ids) == sorted(c.pk for c in cases)
    assert w.level == Level.BLUE  # 3 cases: the blue threshold
    assert "3件" in w.explanation
    assert w.subject["person"] and phone not in str(w.subject) and phone not in w.explanation
    # rerun: nothing new
    again = run_only("person_repeat")
    assert not again.raised and not again.updated
    # a fourth case updates the same warning (yellow) instead of raising a second one
    make_case(org, 1, phone=phone)
    third = run_only("person_repeat", full=False)
    assert not third.raised and [x.pk for x in third.updated] == [w.pk]
    w.refresh_from_db()
    assert w.level == Level.YELLOW and len(w.case_ids) == 4
    assert Warning.objects.count() == 1


def test_repeat_person_quiet_on_clean_data_and_outside_window(org):
    phone = fresh_phone()
    make_case(org, 200, phone=phone)  # outside the 90-day window
    make_case(org, 30, phone=phone)
    for d in (1, 2, 3, 4):
        make_case(org, d)
    assert not run_only("person_repeat").raised


def test_same_person_by_id_number_across_phones(org):
    ident = "11010519491231002X"
    for d in (30, 10, 2):
        make_case(org, d, phone=fresh_phone(), id_number=ident)
    assert codes_of(run_only("person_repeat")) == ["person_repeat"]


def test_revisit_after_closure(org):
    phone = fresh_phone()
    first = make_case(org, 50, phone=phone)
    close_case(org, first, 45)
    make_case(org, 20, phone=phone)
    result = run_only("person_revisit")
    assert codes_of(result) == ["person_revisit"]
    assert result.raised[0].evidence["figures"]["revisits"] == 1
    assert not run_only("person_revisit").raised


def test_revisit_quiet_without_closure_or_other_type(org):
    phone = fresh_phone()
    make_case(org, 50, phone=phone)
    make_case(org, 20, phone=phone)  # first not closed
    other = fresh_phone()
    c = make_case(org, 50, phone=other)
    close_case(org, c, 45)
    make_case(org, 20, phone=other, category="0601")  # a different type
    assert not run_only("person_revisit").raised


def test_multichannel_person(org):
    phone = fresh_phone()
    for d, ch in ((20, "walk_in"), (10, "phone"), (3, "grid")):
        make_case(org, d, phone=phone, channel=ch)
    result = run_only("person_multichannel")
    assert codes_of(result) == ["person_multichannel"]
    assert "来访" in result.raised[0].explanation and "来电" in result.raised[0].explanation


def test_multichannel_quiet_with_one_channel(org):
    phone = fresh_phone()
    for d in (20, 10, 3):
        make_case(org, d, phone=phone, channel="walk_in")
    assert not run_only("person_multichannel").raised


def test_rising_risk_person(org):
    from fengqiao.cases.models import Case

    phone = fresh_phone()
    a = make_case(org, 20, phone=phone)
    b = make_case(org, 5, phone=phone)
    Case.objects.filter(pk=a.pk).update(risk="low")
    Case.objects.filter(pk=b.pk).update(risk="high")
    assert codes_of(run_only("person_rising_risk")) == ["person_rising_risk"]


def test_rising_risk_quiet_when_falling(org):
    from fengqiao.cases.models import Case

    phone = fresh_phone()
    a = make_case(org, 20, phone=phone)
    b = make_case(org, 5, phone=phone)
    Case.objects.filter(pk=a.pk).update(risk="high")
    Case.objects.filter(pk=b.pk).update(risk="low")
    assert not run_only("person_rising_risk").raised
