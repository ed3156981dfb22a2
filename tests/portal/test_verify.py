"""SMS verification codes: expiry, tries, resend interval, daily caps; and what bad input does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from fengqiao.cases.models import Case, Party
from fengqiao.core import crypto
from fengqiao.notify.models import OutboundMessage
from fengqiao.portal import verify
from fengqiao.portal.models import PhoneVerification, Submission
from tests.conftest import Org
from tests.portal import sms_backend
from tests.portal.helpers import PHONE, Recorder, deliver, get_code, submit_data, token_of

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)


def _code() -> str:
    deliver()
    return sms_backend.last_code(PHONE)


def test_code_is_stored_hashed_and_works_once() -> None:
    pv = verify.issue(PHONE, "10.0.0.1")
    code = _code()
    assert pv.phone_hash == crypto.search_hash(PHONE) and code not in pv.code_hash and PHONE not in pv.phone_hash
    assert verify.check(PHONE, code) == crypto.search_hash(PHONE)
    with pytest.raises(verify.VerifyError, match="请先获取"):
        verify.check(PHONE, code)


def test_code_expires_after_five_minutes() -> None:
    with time_machine.travel(START, tick=False) as t:
        verify.issue(PHONE, "10.0.0.1")
        code = _code()
        t.shift(dt.timedelta(minutes=5, seconds=1))
        with pytest.raises(verify.VerifyError, match="已过期"):
            verify.check(PHONE, code)


def test_five_tries_then_a_new_code_is_needed() -> None:
    verify.issue(PHONE, "10.0.0.1")
    code = _code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(verify.VerifyError, match=f"还可以再试 {left} 次"):
            verify.check(PHONE, wrong)
    with pytest.raises(verify.VerifyError, match="次数过多"):
        verify.check(PHONE, wrong)
    with pytest.raises(verify.VerifyError, match="次数过多"):
        verify.check(PHONE, code)  # even the right code, after five wrong ones
    assert PhoneVerification.objects.get().attempts == 5


def test_resend_only_after_sixty_seconds() -> None:
    with time_machine.travel(START, tick=False) as t:
        verify.issue(PHONE, "10.0.0.1")
        t.shift(dt.timedelta(seconds=30))
        with pytest.raises(verify.VerifyError, match="秒后再重新获取"):
            verify.issue(PHONE, "10.0.0.1")
        t.shift(dt.timedelta(seconds=31))
        verify.issue(PHONE, "10.0.0.1")
    assert PhoneVerification.objects.count() == 2
    assert OutboundMessage.objects.filter(template="verify").count() == 2


def test_daily_caps_per_phone_and_per_ip() -> None:
    with time_machine.travel(START, tick=False) as t:
        for _ in range(verify.DAILY_PER_PHONE):
            verify.issue(PHONE, "10.0.0.1")
            t.shift(dt.timedelta(seconds=61))
        with pytest.raises(verify.VerifyError, match="该手机号今天"):
            verify.issue(PHONE, "10.0.0.2")
        # Other phones from one address: 30 a day in all.
        for i in range(verify.DAILY_PER_IP - verify.DAILY_PER_PHONE):
            verify.issue(f"137000{i:05d}", "10.0.0.1")
        with pytest.raises(verify.VerifyError, match="次数过多"):
            verify.issue("13600000000", "10.0.0.1")
        verify.issue("13600000000", "10.0.0.9")  # another address is not affected
        t.shift(dt.timedelta(days=1))
        verify.issue(PHONE, "10.0.0.1")  # a new day


def test_wrong_code_on_the_form_creates_nothing(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    get_code(c, "/portal/submit/", submit_data(token, address_text="白塔村"))
    r = c.post("/portal/submit/", submit_data(token, address_text="白塔村", sms_code="99999x"))
    assert r.status_code == 400 and "验证码不正确" in r.content.decode()
    assert Case.objects.count() == 0 and Submission.objects.count() == 0


def test_bad_input_creates_nothing_and_says_why_in_chinese(org: Org, client: Any) -> None:
    token = token_of(client.get("/portal/submit/").content.decode())
    before = (Case.objects.count(), Party.objects.count(), OutboundMessage.objects.count())
    r = client.post(
        "/portal/submit/",
        {"token": token, "description": "太短", "phone": "12345", "respondent_phone": "abc", "action": "submit"},
    )
    html = r.content.decode()
    assert r.status_code == 400
    for msg in ("请至少写10个字", "请输入11位手机号码", "请阅读并勾选同意", "请写明事情发生的地点", "对方电话格式不对"):
        assert msg in html, msg
    assert (Case.objects.count(), Party.objects.count(), OutboundMessage.objects.count()) == before


def test_honeypot_creates_nothing(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    code = get_code(c, "/portal/submit/", submit_data(token, address_text="白塔村"))
    r = c.post(
        "/portal/submit/", submit_data(token, address_text="白塔村", sms_code=code, website="http://spam.example")
    )
    assert r.status_code == 400
    assert Case.objects.count() == 0


def test_submissions_per_ip_are_limited(org: Org, client: Any, monkeypatch: Any) -> None:
    from fengqiao.portal import views

    monkeypatch.setattr(views, "SUBMIT_PER_IP_HOUR", 1)
    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    code = get_code(c, "/portal/submit/", submit_data(token, address_text="白塔村"))
    assert c.post("/portal/submit/", submit_data(token, address_text="白塔村", sms_code=code)).status_code == 302
    token2 = token_of(c.get("/portal/submit/").content.decode())
    r = c.post("/portal/submit/", submit_data(token2, address_text="白塔村"))  # phone verified in this session
    assert r.status_code == 429 and "提交太频繁" in r.content.decode()
    assert Case.objects.count() == 1


def test_session_verification_is_reused_for_a_second_submission(org: Org, client: Any) -> None:
    c = Recorder(client)
    token = token_of(c.get("/portal/submit/").content.decode())
    code = get_code(c, "/portal/submit/", submit_data(token, address_text="白塔村"))
    assert c.post("/portal/submit/", submit_data(token, address_text="白塔村", sms_code=code)).status_code == 302
    token2 = token_of(c.get("/portal/submit/").content.decode())
    assert c.post("/portal/submit/", submit_data(token2, address_text="白塔村")).status_code == 302
    assert Case.objects.count() == 2
    # ... but not for another phone.
    token3 = token_of(c.get("/portal/submit/").content.decode())
    r = c.post("/portal/submit/", submit_data(token3, address_text="白塔村", phone="13700001111"))
    assert r.status_code == 400 and Case.objects.count() == 2
    assert timezone.now()
