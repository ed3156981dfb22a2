"""Item 6: the front page leads to the staff and citizen doors; the demo's SMS (verification codes
included) can be read on a staff page and by a command — only with a development SMS backend and
never in production."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from fengqiao.notify.outbox import queue_sms
from tests.conftest import Org
from tests.web.conftest import signed_in

CONSOLE = "fengqiao.notify.backends.ConsoleSMSBackend"


def test_front_page_links_staff_and_portal(db: None) -> None:
    body = Client().get("/").content.decode()
    assert 'href="/staff/"' in body and 'href="/portal/"' in body


def test_readme_tells_host_port_and_where_the_sms_are() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "HOST=" in readme and "PORT=" in readme and "demo-sms" in readme


def _queue(phone: str, text: str) -> None:
    queue_sms(phone, text, template="verify", dedup_key=f"t:{phone}:{text}")


def test_demo_sms_page_lists_the_newest_codes(org: Org, settings: Any) -> None:
    settings.FENGQIAO_SMS_BACKEND = CONSOLE
    settings.PRODUCTION = False
    _queue("13812345678", "【枫桥】您的验证码是 246810，5分钟内有效。")
    _queue("13900001111", "【枫桥】您的验证码是 135791，5分钟内有效。")
    c = signed_in(org.user("handler1"))
    body = c.get("/staff/demo/sms/").content.decode()
    assert "246810" in body and "135791" in body and "138****5678" in body
    assert "13812345678" not in body  # the number is masked
    assert body.index("135791") < body.index("246810")  # newest first
    one = c.post("/staff/demo/sms/", {"phone": "13812345678"}).content.decode()
    assert "246810" in one and "135791" not in one
    assert Client().get("/staff/demo/sms/").status_code == 302  # staff only


@pytest.mark.parametrize(
    ("backend", "production"),
    [("fengqiao.notify.aliyun.AliyunSMSBackend", False), (CONSOLE, True)],
)
def test_demo_sms_absent_with_a_real_gateway_or_in_production(
    org: Org, settings: Any, backend: str, production: bool
) -> None:
    settings.FENGQIAO_SMS_BACKEND = backend
    settings.PRODUCTION = production
    assert signed_in(org.user("handler1")).get("/staff/demo/sms/").status_code == 404
    with pytest.raises(CommandError):
        call_command("demo-sms")


def test_demo_sms_command(org: Org, settings: Any) -> None:
    settings.FENGQIAO_SMS_BACKEND = CONSOLE
    settings.PRODUCTION = False
    _queue("13812345678", "【枫桥】您的验证码是 246810。")
    out = io.StringIO()
    call_command("demo-sms", "--phone", "13812345678", stdout=out)
    assert "246810" in out.getvalue() and "138****5678" in out.getvalue()
