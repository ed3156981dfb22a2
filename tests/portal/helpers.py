from __future__ import annotations

import io
import re
from typing import Any

from django.test import Client

from fengqiao.notify.outbox import relay
from tests.portal import sms_backend

PHONE = "13912345678"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def token_of(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "no form token"
    return found.group(1)


def deliver() -> None:
    relay()


def png(name: str = "photo.png") -> io.BytesIO:
    f = io.BytesIO(PNG_BYTES)
    f.name = name
    return f


class Recorder:
    """Wraps a test client and remembers every URL requested or redirected to."""

    def __init__(self, client: Client):
        self.client = client
        self.urls: list[str] = []

    def get(self, url: str, **kw: Any) -> Any:
        self.urls.append(url)
        r = self.client.get(url, **kw)
        if r.has_header("Location"):
            self.urls.append(r["Location"])
        return r

    def post(self, url: str, data: dict[str, Any], **kw: Any) -> Any:
        self.urls.append(url)
        r = self.client.post(url, data, **kw)
        if r.has_header("Location"):
            self.urls.append(r["Location"])
        return r


def submit_data(token: str, unit: str = "", **over: Any) -> dict[str, Any]:
    data = {
        "token": token,
        "unit": unit,
        "description": "隔壁新建的猪圈紧挨我家院墙，气味很大。多次协商没有结果，希望村里帮忙调解。",
        "category": "0201",
        "address_text": "3组12号",
        "name": "王先生",
        "respondent_name": "李某",
        "phone": PHONE,
        "consent": "on",
        "action": "submit",
    }
    data.update(over)
    return data


def get_code(client: Recorder, url: str, data: dict[str, Any], phone: str = PHONE) -> str:
    r = client.post(url, {**data, "phone": phone, "action": "send_code"})
    assert r.status_code == 200, r.content.decode()[:2000]
    deliver()
    return sms_backend.last_code(phone)
