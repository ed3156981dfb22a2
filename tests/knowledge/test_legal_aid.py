"""Legal aid: the application becomes a case of type 1701 owned by the legal aid centre, with the
法律援助 deadline policy, its particulars and the income statement as a private attachment."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fengqiao.cases.actions import Actor
from fengqiao.cases.models import Case
from fengqiao.cases.uploads import UploadError
from fengqiao.knowledge import legalaid
from fengqiao.knowledge.models import LegalAidApplication
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from fengqiao.portal.models import Submission
from tests.conftest import Org, make_unit
from tests.portal import sms_backend
from tests.portal.helpers import PNG_BYTES, deliver, token_of

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
ID_NO = "11010519491231002X"


@pytest.fixture
def centre(org: Org, reference: None) -> Unit:
    justice = make_unit("331024-SFJ", "仙居县司法局", UnitKind.DEPARTMENT, org.county)
    return make_unit("331024-SFJ-FLYZ", "仙居县法律援助中心", UnitKind.DEPARTMENT, justice)


def data(**over: Any) -> dict[str, Any]:
    d = {
        "name": "王小明",
        "phone": PHONE,
        "id_number": ID_NO,
        "matter": "wages",
        "description": "在工地干了半年，包工头拖欠工资两万元，多次讨要无果，请不起律师。",
        "opponent": "某建筑公司",
        "household_size": 3,
        "monthly_income": "2400",
        "hardship": "农民工讨薪",
    }
    d.update(over)
    return d


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("收入.png", PNG_BYTES, content_type="image/png")


def test_application_is_routed_to_the_legal_aid_centre_with_its_deadlines(centre: Unit) -> None:
    case = legalaid.apply(Actor.citizen(), data(), png())
    assert case.category is not None and case.category.code == "1701"
    assert case.owner_unit == centre
    assert case.deadline_policy is not None and "法律援助" in case.deadline_policy.name
    assert case.deadline_policy.complete_days == 7 and case.deadline_policy.unit == "working"
    assert case.due_at is not None and 7 <= (case.due_at - case.created_at).days <= 11  # 7 working days
    aid = LegalAidApplication.objects.get(case=case)
    assert aid.matter == "wages" and aid.household_size == 3 and aid.income_per_person == 800
    att = case.attachments.get()
    assert att.public is False and att.content_type == "image/png" and att.original_name == "收入状况说明.png"
    assert case.events.filter(code="case.register").count() == 1
    assert case.parties.get(role="applicant").phone_hash


def test_centre_falls_back_to_the_justice_bureau_and_can_be_set(org: Org, reference: None, settings: Any) -> None:
    justice = make_unit("331024-SFJ", "仙居县司法局", UnitKind.DEPARTMENT, org.county)
    assert legalaid.centre() == justice
    settings.FENGQIAO_LEGAL_AID_UNIT = org.dept.code
    assert legalaid.centre() == org.dept


def test_no_centre_no_case(org: Org, reference: None) -> None:
    with pytest.raises(legalaid.ActionError) as err:
        legalaid.apply(Actor.citizen(), data(), png())
    assert "12348" in err.value.message
    assert not Case.objects.exists()


def test_bad_upload_creates_nothing(centre: Unit) -> None:
    bad = SimpleUploadedFile("收入.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(UploadError):
        legalaid.apply(Actor.citizen(), data(), bad)
    assert not Case.objects.exists() and not LegalAidApplication.objects.exists()


def _verified_client(client: Client) -> str:
    page = client.get("/portal/help/legal-aid/")
    assert page.status_code == 200
    token = token_of(page.content.decode())
    r = client.post("/portal/help/legal-aid/", {**data(), "token": token, "action": "send_code"})
    assert r.status_code == 200
    deliver()
    return token


def test_portal_form_end_to_end(centre: Unit, client: Client) -> None:
    token = _verified_client(client)
    code = sms_backend.last_code(PHONE)
    form = {**data(), "token": token, "sms_code": code, "consent": "on", "income_statement": png()}
    r = client.post("/portal/help/legal-aid/", form)
    assert r.status_code == 302 and "/portal/t/" in r["Location"]
    case = Case.objects.get()
    assert case.owner_unit == centre and Submission.objects.get().case == case
    # The same form again (double click) leads to the same receipt, no second case.
    r2 = client.post("/portal/help/legal-aid/", {**form, "income_statement": png()})
    assert r2.status_code == 302 and r2["Location"] == r["Location"] and Case.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "身份证"),
        ({"matter": ""}, "matter", "援助事项"),
        ({"description": "太短了"}, "description", "20"),
        ({"household_size": "0"}, "household_size", "至少"),
        ({"monthly_income": "-5"}, "monthly_income", "负数"),
        ({"monthly_income": "很多"}, "monthly_income", "数字"),
        ({"phone": "12345"}, "phone", "11位"),
    ],
)
def test_portal_form_bad_input(centre: Unit, client: Client, change: dict[str, Any], field: str, words: str) -> None:
    page = client.get("/portal/help/legal-aid/")
    form = {**data(**change), "token": token_of(page.content.decode()), "consent": "on", "income_statement": png()}
    r = client.post("/portal/help/legal-aid/", form)
    assert r.status_code == 400
    errors = r.context["form"].errors
    assert field in errors and words in "".join(errors[field])
    assert not Case.objects.exists()


def test_portal_form_refuses_a_disguised_file(centre: Unit, client: Client) -> None:
    token = _verified_client(client)
    fake = SimpleUploadedFile("收入.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    form = {
        **data(),
        "token": token,
        "sms_code": sms_backend.last_code(PHONE),
        "consent": "on",
        "income_statement": fake,
    }
    r = client.post("/portal/help/legal-aid/", form)
    assert r.status_code == 400
    assert r.context["form"].errors["income_statement"]
    assert not Case.objects.exists()


def test_portal_form_needs_the_sms_code(centre: Unit, client: Client) -> None:
    page = client.get("/portal/help/legal-aid/")
    form = {**data(), "token": token_of(page.content.decode()), "consent": "on", "income_statement": png()}
    r = client.post("/portal/help/legal-aid/", form)
    assert r.status_code == 400 and "验证码" in "".join(r.context["form"].errors["sms_code"])
    assert not Case.objects.exists()


_ = io
