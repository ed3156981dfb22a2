"""Item 1: an error sits under its own field in plain Chinese — never a Python repr of DRF's nested
errors (``{0: {'phone': [ErrorDetail(...)]}}``), on every form that shows action errors."""

from __future__ import annotations

import re

from rest_framework.exceptions import ErrorDetail

from fengqiao.cases import inputs
from fengqiao.cases.models import Case
from fengqiao.core import formerrors
from fengqiao.web.actionforms import field_errors
from tests.conftest import Org
from tests.web.conftest import signed_in
from tests.web.test_intake import URL, form

REPR = re.compile(r"ErrorDetail|\{0:|\{1:|code=|string=|\[\'|&#x27;")


def _errors_under(body: str, fid: str) -> str:
    m = re.search(rf'<ul class="errorlist" id="{fid}-err">(.*?)</ul>', body, re.S)
    return m.group(1) if m else ""


def test_walk_reads_index_keyed_and_listed_items() -> None:
    nested = {
        "parties": {0: {"phone": [ErrorDetail("坏号码", code="invalid")]}, 1: {"name": ["太长"]}},
        "title": [ErrorDetail("必填", code="required")],
        "non_field_errors": ["整体有误"],
    }
    assert list(formerrors.walk(nested)) == [
        (("parties", 0, "phone"), "坏号码"),
        (("parties", 1, "name"), "太长"),
        (("title",), "必填"),
        (("non_field_errors",), "整体有误"),
    ]
    listed = {"members": [{}, {"mediator": ["不存在"]}]}
    assert list(formerrors.walk(listed)) == [(("members", 1, "mediator"), "不存在")]
    per_field, general = formerrors.split(nested)
    assert per_field == {"parties": ["坏号码", "太长"], "title": ["必填"]} and general == ["整体有误"]


def test_real_serializer_errors_flatten_to_plain_text(org: Org) -> None:
    s = inputs.RegisterInput(
        data={
            "title": "x",
            "description": "y",
            "channel": "walk_in",
            "parties": [{"role": "applicant", "name": "王", "phone": "123"}],
        }
    )
    assert not s.is_valid()
    per_field, general = field_errors(s.errors)
    text = " ".join(m for msgs in per_field.values() for m in msgs) + " ".join(general)
    assert "请输入有效的手机号码" in text and not REPR.search(text)
    assert all(isinstance(m, str) and type(m) is str for msgs in per_field.values() for m in msgs)


def test_intake_party_errors_sit_under_their_own_phone_fields(org: Org) -> None:
    r = signed_in(org.user("handler1")).post(URL, form(org, applicant_phone="123", respondent_phone="456"))
    assert r.status_code == 400
    body = r.content.decode()
    assert not REPR.search(body.split("<main", 1)[-1]), "a Python repr leaked onto the page"
    assert "请输入有效的手机号码" in _errors_under(body, "in-applicant_phone")
    assert "请输入有效的手机号码" in _errors_under(body, "in-respondent_phone")
    assert _errors_under(body, "in-applicant_name") == "" and _errors_under(body, "in-respondent_name") == ""
    assert 'value="123"' in body and 'value="456"' in body  # what was typed comes back
    assert not Case.objects.exists()


def test_intake_error_on_a_field_without_a_place_goes_on_top(org: Org) -> None:
    r = signed_in(org.user("handler1")).post(URL, form(org, domain="nonexistent-domain"))
    assert r.status_code == 400
    body = r.content.decode()
    top = re.search(r'<div class="alert error" role="alert"><ul>(.*?)</ul>', body, re.S)
    assert top and "<li>" in top.group(1) and not REPR.search(top.group(1))
    assert top.group(1).count("<li>") >= 2  # the action's message and the domain's own


def test_case_page_action_form_errors_are_plain(org: Org) -> None:
    from tests.helpers import new_case

    case = new_case(org)
    c = signed_in(org.user("handler1"))
    r = c.post(
        f"/staff/cases/{case.display_code}/act/attach_team/",
        {"mediators": ["999999"], "version": case.version},
    )
    body = r.content.decode()
    assert r.status_code in (400, 403, 409), r.status_code
    assert not REPR.search(body.split("<main", 1)[-1])


def test_portal_maps_party_errors_to_its_fields(db: None) -> None:
    from fengqiao.portal.forms import SubmitForm
    from fengqiao.portal.views import _portal_errors

    errors = {"parties": {0: {"phone": [ErrorDetail("坏号码")]}, 1: {"phone": ["对方坏号码"]}}, "title": ["太长"]}
    out = _portal_errors(errors, SubmitForm(allow_anonymous=False))
    assert out == {"phone": ["坏号码"], "respondent_phone": ["对方坏号码"], "title": ["太长"]}


def test_hotline_errors_are_labelled_not_coded() -> None:
    from fengqiao.channels.views import _hotline_errors

    out = _hotline_errors({"parties": {0: {"phone": [ErrorDetail("坏号码")]}}, "title": ["太长"]})
    assert out == ["来电号码：坏号码", "标题：太长"]
