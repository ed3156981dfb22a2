"""Staff intake: the form, registering with parties, errors, the duplicate warning, a retried
submission, the receipt, and the address and phone lookups."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.core.models import AuditEntry
from fengqiao.org.models import StandardAddress
from tests.conftest import Org
from tests.helpers import new_case
from tests.web.conftest import signed_in

URL = "/staff/intake/"


def form(org: Org, **overrides: Any) -> dict[str, Any]:
    data = {
        "token": "t-1",
        "applicant_name": "王小明",
        "applicant_phone": "13812341234",
        "applicant_id_number": "11010519491231002X",
        "respondent_kind": "person",
        "respondent_name": "李大年",
        "respondent_phone": "13900001111",
        "title": "邻居建房挡住采光",
        "description": "隔壁新建三层楼房，挡住我家采光。",
        "category_l1": "02",
        "category": "0201",
        "channel": "walk_in",
        "priority": "2",
        "risk": "low",
        "people_count": "2",
        "address_text": "白塔村5组",
        "location_unit": str(org.village1.pk),
        "owner_unit": "",
    }
    data.update(overrides)
    return data


def test_form_renders_with_taxonomy_and_labels(org: Org) -> None:
    r = signed_in(org.user("handler1")).get(URL)
    body = r.content.decode()
    assert r.status_code == 200
    assert "受理登记" in body and '<optgroup label="邻里" data-parent="02">' in body
    assert 'for="in-applicant_phone"' in body and 'id="in-applicant_phone"' in body
    assert 'name="token" value="' in body
    assert "白塔村" in body  # location choices in scope
    assert "田市村" not in body


def test_intake_registers_a_case_with_parties(org: Org) -> None:
    c = signed_in(org.user("handler1"))
    r = c.post(URL, form(org))
    case = Case.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("web:receipt", args=[case.display_code])
    assert case.channel == "walk_in" and case.category.code == "0201" and case.location_unit == org.village1
    assert case.owner_unit == org.sub1 and case.people_count == 2
    parties = {p.role: p for p in Party.objects.filter(case=case)}
    assert parties["applicant"].name == "王小明" and parties["applicant"].phone == "13812341234"
    assert parties["respondent"].name == "李大年"
    assert CaseEvent.objects.get(case=case, code="case.register").via == "web"

    r = c.get(r["Location"])
    body = r.content.decode()
    assert r.status_code == 200
    assert case.display_code in body and "<svg" in body and "受理回执" in body
    assert "王*明" in body and "138****1234" in body and "13812341234" not in body
    assert "app.css" in body  # the print stylesheet lives in app.css (@media print)


def test_retried_submission_makes_one_case(org: Org) -> None:
    c = signed_in(org.user("handler1"))
    first = c.post(URL, form(org))
    second = c.post(URL, form(org))
    assert Case.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_bad_input_shows_field_errors_and_creates_nothing(org: Org) -> None:
    r = signed_in(org.user("handler1")).post(
        URL, form(org, title="", applicant_phone="12345", applicant_id_number="110105194912310021", category="02")
    )
    assert r.status_code == 400
    body = r.content.decode()
    assert "输入有误" in body
    assert "请输入有效的手机号码" in body
    assert "身份证号码校验位不正确" in body
    assert 'id="in-title-err"' in body
    assert 'value="王小明"' in body  # the entered values come back
    assert not Case.objects.exists() and not Party.objects.exists()


def test_applicant_required_unless_anonymous(org: Org) -> None:
    empty = {"applicant_name": "", "applicant_phone": "", "applicant_id_number": ""}
    r = signed_in(org.user("handler1")).post(URL, form(org, **empty))
    assert r.status_code == 400 and "非匿名反映须填写申请人" in r.content.decode()
    r = signed_in(org.user("handler1")).post(URL, form(org, token="t-2", anonymous="on", **empty))
    assert r.status_code == 302
    assert Case.objects.get().anonymous


def test_duplicate_warning_for_the_same_phone(org: Org) -> None:
    existing = new_case(org)  # same applicant phone, still open
    c = signed_in(org.user("handler1"))
    r = c.post(URL, form(org))
    body = r.content.decode()
    assert r.status_code == 200
    assert "该电话已有在办案件" in body and existing.display_code in body
    assert Case.objects.count() == 1
    r = c.post(URL, form(org, confirm_duplicate="on"))
    assert r.status_code == 302
    assert Case.objects.count() == 2


def test_intake_needs_a_register_role(org: Org) -> None:
    r = signed_in(org.user("leader1")).get(URL)
    assert r.status_code == 403
    assert signed_in(org.user("leader1")).post(URL, form(org)).status_code == 403
    assert not Case.objects.exists()


def test_phone_lookup_is_a_post_and_scoped(org: Org) -> None:
    mine = new_case(org)
    new_case(org, location_unit=org.village2.pk)  # the same phone in another town
    c = signed_in(org.user("handler1"))
    url = reverse("web:lookup_phone")
    assert c.get(url, {"phone": "13812341234"}).status_code == 405
    r = c.post(url, {"phone": "13812341234"}, content_type="application/json")
    data = r.json()
    assert r.status_code == 200
    assert [x["code"] for x in data["cases"]] == [mine.code]
    assert data["open_count"] == 1 and data["cases"][0]["state_label"] == "待受理"
    assert "13812341234" not in r.content.decode() and "1234" not in data["cases"][0]["url"]
    assert AuditEntry.objects.filter(action="pii.lookup").count() == 1
    assert c.post(url, {"phone": "abc"}, content_type="application/json").status_code == 400
    r = signed_in(org.user("handler2")).post(url, {"phone": "13900001111"}, content_type="application/json")
    assert len(r.json()["cases"]) == 1  # the respondent's phone of the other town's case
    # Without the CSRF token the lookup is refused.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.user("handler1"))
    assert strict.post(url, {"phone": "13812341234"}, content_type="application/json").status_code == 403


def test_address_lookup(org: Org) -> None:
    StandardAddress.objects.create(grid=org.grid1, full_text="白塔镇白塔村5组12号")
    c = signed_in(org.user("handler1"))
    results = c.get(reverse("web:lookup_address"), {"q": "白塔村"}).json()["results"]
    assert results[0] == {
        "type": "address",
        "id": StandardAddress.objects.get().pk,
        "label": "白塔镇白塔村5组12号",
        "unit": org.grid1.pk,
        "unit_label": org.grid1.name,
    }
    assert {"unit"} <= {r["type"] for r in results}  # 白塔村 itself, and its grid
    assert len(results) <= 10
    assert c.get(reverse("web:lookup_address"), {"q": ""}).json() == {"results": []}


def test_intake_with_a_standard_address(org: Org) -> None:
    addr = StandardAddress.objects.create(grid=org.grid1, full_text="白塔镇白塔村5组12号")
    r = signed_in(org.user("handler1")).post(URL, form(org, location_unit="", standard_address=str(addr.pk)))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.standard_address == addr and case.location_unit == org.grid1


def test_unit_lookup(org: Org) -> None:
    r = signed_in(org.user("handler1")).get(reverse("web:lookup_units"), {"parent": org.town1.pk})
    names = [u["name"] for u in r.json()["results"]]
    assert "白塔村" in names and "白塔镇综治中心" in names


def test_grid_worker_registers_into_the_grid(org: Org) -> None:
    c = signed_in(org.user("grid_worker"))
    r = c.get(URL)
    assert f'<option value="{org.grid1.pk}" selected>' in r.content.decode()
    r = c.post(URL, form(org, owner_unit=str(org.grid1.pk), location_unit=str(org.grid1.pk), channel="grid"))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.owner_unit == org.grid1 and case.channel == "grid"


def test_intake_registers_a_second_applicant_and_respondent(org: Org) -> None:
    """Issue 17 item 4: several applicants and respondents at staff intake."""
    c = signed_in(org.user("handler1"))
    body = c.get(URL).content.decode()
    assert 'id="in-applicant2_name"' in body and 'id="in-respondent2_phone"' in body
    assert body.count("<fieldset") == body.count("</fieldset>")  # each fold-out closes inside its own card
    respondent = body[body.index("被申请人（可选）") :]
    assert respondent.index("</fieldset>") < respondent.index("反映事项")
    r = c.post(
        URL,
        form(
            org,
            applicant2_name="王小红",
            applicant2_phone="13812345678",
            respondent2_kind="org",
            respondent2_name="白塔建筑队",
        ),
    )
    assert r.status_code == 302
    case = Case.objects.get()
    rows = sorted((p.role, p.name) for p in Party.objects.filter(case=case))
    assert rows == [
        ("applicant", "王小明"),
        ("applicant", "王小红"),
        ("respondent", "李大年"),
        ("respondent", "白塔建筑队"),
    ]
    by_name = {p.name: p for p in Party.objects.filter(case=case)}  # names are encrypted: compared in Python
    assert by_name["王小红"].phone == "13812345678"
    assert by_name["白塔建筑队"].kind == "org"


def test_bad_second_applicant_phone_shows_under_its_field_and_creates_nothing(org: Org) -> None:
    r = signed_in(org.user("handler1")).post(URL, form(org, applicant2_name="王小红", applicant2_phone="12345"))
    assert r.status_code == 400
    body = r.content.decode()
    err = body[body.index('id="in-applicant2_phone-err"') :][:300]
    assert "请输入有效的手机号码" in err
    assert '<details class="more-party" open>' in body  # the fold-out is open where the error is
    assert not Case.objects.exists() and not Party.objects.exists()
