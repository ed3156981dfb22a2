"""Item 2: limits stated beside the fields with a counter, refusals that keep what was typed, and an
oversized post answered with a Chinese message on the form instead of Django's bare 400."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from fengqiao.cases.models import Case
from tests.conftest import Org
from tests.portal.helpers import Recorder, get_code, submit_data, token_of
from tests.web.conftest import signed_in
from tests.web.test_intake import URL, form


def _textarea(body: str, name: str) -> str:
    m = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', body)
    assert m, f"no textarea {name}"
    return m.group(0)


def test_staff_intake_states_the_limit_and_does_not_cut_a_paste(org: Org) -> None:
    body = signed_in(org.user("handler1")).get(URL).content.decode()
    tag = _textarea(body, "description")
    assert 'data-maxchars="5000"' in tag and "maxlength" not in tag
    assert 'id="in-description-count"' in body and "上限 5000 字" in body
    assert "core/limits" in body and "<script>" not in body


def test_staff_intake_over_long_description_is_refused_and_kept(org: Org) -> None:
    text = "长" * 5200
    r = signed_in(org.user("handler1")).post(URL, form(org, description=text))
    assert r.status_code == 400
    body = r.content.decode()
    assert text in body  # what was typed comes back whole
    assert re.search(r'id="in-description-err">.*5000', body, re.S)
    assert not Case.objects.exists()


def test_oversized_post_goes_back_to_the_form_with_a_chinese_message(org: Org, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    c = signed_in(org.user("handler1"))
    r = c.post(URL, form(org, description="长" * 3000), HTTP_REFERER="http://testserver/staff/intake/")
    assert r.status_code == 303 and r["Location"] == "http://testserver/staff/intake/"
    page = c.get("/staff/intake/").content.decode()
    assert "提交的内容过大" in page and "Bad Request" not in page
    assert not Case.objects.exists()


def test_too_many_fields_is_answered_the_same_way(org: Org, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    c = signed_in(org.user("handler1"))
    r = c.post(URL, form(org))
    assert r.status_code == 303 and r["Location"] == URL
    assert "提交的内容过大" in c.get(URL).content.decode()


def test_oversized_api_post_is_json_413(org: Org, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    r = Client().post("/api/token/", {"username": "x" * 500})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_portal_description_limit_counter_and_kept_text(org: Org, client: Any) -> None:
    c = Recorder(client)
    html = c.get(f"/portal/u/{org.village1.code}/").content.decode()
    tag = _textarea(html, "description")
    assert 'data-maxchars="5000"' in tag and "maxlength" not in tag
    assert 'id="id_description-count"' in html and 'data-maxbytes="10485760"' in html
    token = token_of(html)
    code = get_code(c, "/portal/submit/", submit_data(token, org.village1.code))
    text = "隔壁" * 3000  # 6000 characters
    r = c.post("/portal/submit/", submit_data(token, org.village1.code, sms_code=code, description=text))
    assert r.status_code == 400
    body = r.content.decode()
    assert "最多 5000 字，您写了 6000 字" in body and "确保" not in body
    assert text in body
    assert not Case.objects.exists()


def test_portal_absurdly_long_text_is_not_all_sent_back(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get(f"/portal/u/{org.village1.code}/").content.decode())
    text = "甲" * 50000
    r = c.post("/portal/submit/", submit_data(token, org.village1.code, description=text, action="submit"))
    body = r.content.decode()
    assert r.status_code == 400
    assert "甲" * 20000 in body and "甲" * 20001 not in body
