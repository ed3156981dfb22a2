"""Sign-in, lockout, the TOTP second factor, sign-out and the role-aware home page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core.models import AuditEntry
from fengqiao.web import lockout
from tests.conftest import Org
from tests.web.conftest import signed_in

PASSWORD = "Fengqiao-test-pw1"
LOGIN = "/staff/login/"


def login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def token_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_login_page_is_chinese_and_labelled(org: Org) -> None:
    r = Client().get(LOGIN)
    body = r.content.decode()
    assert r.status_code == 200
    assert "工作人员登录" in body
    assert '<label for="id_username">用户名</label>' in body
    assert '<label for="id_password">密码</label>' in body


def test_login_then_home_goes_to_the_workbench(org: Org) -> None:
    c = Client()
    r = login(c, "handler1")
    assert r.status_code == 302 and r["Location"] == "/staff/"
    r = c.get("/staff/")
    assert r.status_code == 302 and r["Location"] == reverse("web:workbench")
    assert c.get(reverse("web:workbench")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", username="handler1", result="ok").exists()


def test_login_keeps_a_safe_next_and_drops_a_foreign_one(org: Org) -> None:
    r = login(Client(), "handler1", next="/staff/inbox/")
    assert r["Location"] == "/staff/inbox/"
    r = login(Client(), "handler1", next="https://evil.example/")
    assert r["Location"] == "/staff/"


def test_wrong_password_is_refused_and_audited(org: Org) -> None:
    r = login(Client(), "handler1", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.content.decode()
    assert AuditEntry.objects.filter(action="auth.login", username="handler1", result="denied").count() == 1
    assert AccessAttempt.objects.get(username="handler1").failures_since_start == 1  # counted by django-axes


def test_lockout_after_five_failures_for_fifteen_minutes(org: Org) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c = Client()
        for _ in range(5):
            login(c, "handler1", "wrong-password")
        assert AccessAttempt.objects.get(username="handler1").failures_since_start == 5
        assert lockout.locked_until("handler1") == start + dt.timedelta(minutes=15)
        # The sixth attempt, with the right password, is refused.
        r = login(c, "handler1")
        assert r.status_code == 429
        assert "锁定" in r.content.decode()
        assert "_auth_user_id" not in c.session
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert login(Client(), "handler1").status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        c = Client()
        r = login(c, "handler1")
        assert r.status_code == 302
        assert c.session["_auth_user_id"] == str(org.user("handler1").pk)
    assert not AccessAttempt.objects.filter(username="handler1").exists()  # a sign-in forgets the failures
    assert lockout.locked_until("handler1") is None


def test_lockout_counts_per_username_case_insensitively(org: Org) -> None:
    c = Client()
    for name in ("Handler1", "HANDLER1", "handler1", "handler1", "hAndler1"):
        login(c, name, "nope")
    assert login(c, "handler1").status_code == 429
    assert login(Client(), "handler2").status_code == 302  # other accounts are not affected


def test_idle_timeout_is_thirty_minutes_and_slides_with_activity(org: Org, monkeypatch: Any) -> None:
    from django.contrib.sessions.models import Session

    from fengqiao.core import middleware

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    c = signed_in(org.user("handler1"))
    clock = [1_000_000.0]
    monkeypatch.setattr(middleware, "_now", lambda: clock[0])

    def expiry() -> Any:
        return Session.objects.get(pk=c.session.session_key).expire_date

    c.get("/staff/")
    first = expiry()
    clock[0] += 30  # within a minute: the page does not write the session
    c.get("/staff/")
    assert expiry() == first
    clock[0] += 31  # a minute later: the 30 minutes count again from now
    c.get("/staff/")
    assert expiry() > first


def test_logout_needs_post(org: Org) -> None:
    c = signed_in(org.user("handler1"))
    assert c.get("/staff/logout/").status_code == 405
    r = c.post("/staff/logout/")
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert c.get(reverse("web:workbench")).status_code == 302


def test_pages_need_a_login(org: Org) -> None:
    for url in ("/staff/", "/staff/workbench/", "/staff/intake/", "/staff/inbox/"):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith(LOGIN + "?next=")


# -- the second factor -------------------------------------------------------------------------


def test_admin_role_must_enrol_totp_before_signing_in(org: Org) -> None:
    c = Client()
    r = login(c, "sysadmin")
    assert r.status_code == 302 and r["Location"] == reverse("web:otp_setup")
    assert "_auth_user_id" not in c.session  # not signed in after the password alone
    assert c.get(reverse("web:workbench")).status_code == 302

    r = c.get(reverse("web:otp_setup"))
    body = r.content.decode()
    assert r.status_code == 200 and "<svg" in body and "otpauth" not in body  # the QR code, not the URL text
    device = TOTPDevice.objects.get(user=org.user("sysadmin"))
    assert not device.confirmed

    r = c.post(reverse("web:otp_setup"), {"token": "000000" if token_for(device) != "000000" else "111111"})
    assert r.status_code == 200 and "动态验证码不正确" in r.content.decode()
    r = c.post(reverse("web:otp_setup"), {"token": token_for(device)})
    assert "稍候" in r.content.decode()  # django-otp throttles the device after a failure
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        r = c.post(reverse("web:otp_setup"), {"token": token_for(device)})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert c.session["_auth_user_id"] == str(org.user("sysadmin").pk)
    assert c.get("/staff/inbox/").status_code == 200  # verified: the staff pages open
    assert AuditEntry.objects.filter(action="auth.otp_enrol", username="sysadmin").exists()


def test_admin_signs_in_with_password_and_a_valid_token(org: Org) -> None:
    admin = org.user("sysadmin")
    admin.is_staff = True  # may open /admin/
    admin.save()
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    c = Client()
    r = login(c, "sysadmin", next="/admin/")
    assert r.status_code == 302 and r["Location"] == reverse("web:otp_verify")
    assert "_auth_user_id" not in c.session

    r = c.post(reverse("web:otp_verify"), {"token": "12"})
    assert r.status_code == 200 and "6位数字" in r.content.decode()
    wrong = "000000" if token_for(device) != "000000" else "111111"
    r = c.post(reverse("web:otp_verify"), {"token": wrong})
    assert "动态验证码不正确" in r.content.decode()
    assert AuditEntry.objects.filter(action="auth.otp", username="sysadmin", result="denied").exists()

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        r = c.post(reverse("web:otp_verify"), {"token": token_for(device)})
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert c.session["_auth_user_id"] == str(admin.pk)
    assert c.get("/admin/").status_code == 200


def test_token_failures_count_towards_the_lockout(org: Org) -> None:
    device = TOTPDevice.objects.create(user=org.user("sysadmin"), name="phone", confirmed=True)
    c = Client()
    login(c, "sysadmin")
    wrong = "000000" if token_for(device) != "000000" else "111111"
    start = timezone.now()
    for i in range(5):
        with time_machine.travel(start + dt.timedelta(seconds=60 * i)):  # past django-otp's own back-off
            c.post(reverse("web:otp_verify"), {"token": wrong})
    assert lockout.locked_until("sysadmin") is not None
    assert login(Client(), "sysadmin").status_code == 429


def test_admin_site_and_staff_pages_refuse_an_unverified_admin(org: Org) -> None:
    admin = org.user("sysadmin")
    admin.is_staff = True
    admin.save()
    c = signed_in(admin)  # a session without the second factor
    r = c.get("/admin/")
    assert r.status_code == 302
    r = c.get(r["Location"])  # the admin login is our sign-in door
    assert r.status_code == 302 and r["Location"].startswith(reverse("web:otp_verify"))
    r = c.get(reverse("web:workbench"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("web:otp_verify"))


def test_admin_login_page_redirects_to_the_staff_login(org: Org) -> None:
    r = Client().get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_optional_totp_for_other_staff(org: Org) -> None:
    handler = org.user("handler1")
    c = signed_in(handler)
    r = c.get(reverse("web:otp_setup"))
    assert r.status_code == 200 and "<svg" in r.content.decode()
    device = TOTPDevice.objects.get(user=handler)
    c.post(reverse("web:otp_setup"), {"token": token_for(device)})
    device.refresh_from_db()
    assert device.confirmed
    # From now on this user needs the token too.
    c2 = Client()
    r = login(c2, "handler1")
    assert r["Location"] == reverse("web:otp_verify")
    assert "_auth_user_id" not in c2.session


# -- home --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("handler1", "web:workbench"),
        ("grid_worker", "web:workbench"),
        ("mediator_user", "web:workbench"),
        ("leader1", "web:leader"),
        ("supervisor", "web:supervisor"),
    ],
)
def test_home_depends_on_the_roles(org: Org, who: str, target: str) -> None:
    r = signed_in(org.user(who)).get("/staff/")
    assert r.status_code == 302 and r["Location"] == reverse(target)
