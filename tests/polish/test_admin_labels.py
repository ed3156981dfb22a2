"""The admin speaks Chinese: coded columns and filters show labels (roles, channels, events, points
triggers), the lockout and second-factor apps are named in Chinese, and the authenticator list never
shows a secret or its QR code."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from fengqiao.org.models import User
from fengqiao.supervision.models import DeadlinePolicy
from tests.conftest import Org
from tests.helpers import new_case
from tests.oversight.test_admin_import import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(org: Org) -> Client:
    return verified_client(User.objects.create_superuser("root", password="Fengqiao-pw-1x", unit=org.county))


def _cells(html: str) -> str:
    """The text of the result table's cells and the filter sidebar, tags stripped."""
    parts = re.findall(r'<table id="result_list".*?</table>|<nav id="changelist-filter".*?</nav>', html, re.S)
    return re.sub(r"<[^>]+>", " ", " ".join(parts))


def test_case_events_show_event_and_role_labels(org: Org, admin_client: Client) -> None:
    new_case(org)
    text = _cells(admin_client.get("/admin/cases/caseevent/").content.decode())
    assert "登记受理" in text and "受理员" in text
    assert "case.register" not in text
    assert not re.search(r"\b(dispatcher)\b", text.replace("dispatcher ", "", 1))  # the actor's own username once


def test_audit_log_roles_and_case_actions_are_labelled(org: Org, admin_client: Client) -> None:
    new_case(org)
    text = _cells(admin_client.get("/admin/core/auditentry/").content.decode())
    assert "登记受理" in text and "受理员" in text and "case.register" not in text
    filtered = admin_client.get("/admin/core/auditentry/?role=dispatcher")
    assert filtered.status_code == 200 and "case.register" not in _cells(filtered.content.decode())


def test_deadline_policy_channel_is_labelled(org: Org, admin_client: Client) -> None:
    DeadlinePolicy.objects.create(name="法院委派时限", channel="court", complete_days=30)
    text = _cells(admin_client.get("/admin/supervision/deadlinepolicy/").content.decode())
    assert "法院委派时限" in text and not re.search(r"\bcourt\b", text)


def test_points_rules_show_their_trigger_in_chinese(admin_client: Client) -> None:
    text = _cells(admin_client.get("/admin/evaluation/pointsrule/").content.decode())
    assert "化解成功" in text and not re.search(r"\b(resolve|rate_satisfied)\b", text)


def test_third_party_apps_are_named_in_chinese(admin_client: Client) -> None:
    body = admin_client.get("/admin/").content.decode()
    for chinese in ("登录锁定", "登录尝试", "登录日志", "双因素认证", "身份验证器"):
        assert chinese in body
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<head>.*?</head>", "", body, flags=re.S))
    for english in ("Axes", "Access attempts", "Access logs", "TOTP devices", "Totp"):
        assert english not in visible


def test_authenticators_list_hides_secrets_and_cannot_add(org: Org, admin_client: Client) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=org.actor("dispatcher").user, name="手机", confirmed=True)
    body = admin_client.get("/admin/otp_totp/totpdevice/").content.decode()
    # the visible text (a random CSRF token in an attribute may contain "QR"), and no secret URL anywhere
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<head>.*?</head>", "", body, flags=re.S))
    assert "手机" in visible and "已确认" in visible and "QR" not in visible and "qrcode" not in body.lower()
    assert "otpauth://" not in body and device.key not in body
    assert admin_client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    change = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in change and "名称" in change
