"""Fixtures for the channels tests: external systems and a real local HTTP receiver for webhooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from fengqiao.channels import signing
from fengqiao.channels.models import ExternalSystem


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records signed POSTs; ``down`` makes it answer 503."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    down: bool = False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["r"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if rec.down:
                self.send_response(503)
                self.end_headers()
                return
            rec.raw.append(body)
            rec.headers.append(dict(self.headers.items()))
            rec.received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/fengqiao/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()


def make_system(code: str, kind: str, webhook_url: str = "", **kw: Any) -> ExternalSystem:
    return ExternalSystem.objects.create(code=code, name=kw.pop("name", code), kind=kind, webhook_url=webhook_url, **kw)


def signed_post(client: Client, system: ExternalSystem, path: str, payload: Any, **override: str) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signing.sign_headers(system.key_id, str(system.secret), "POST", path, body)
    headers.update(override)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def signed_get(client: Client, system: ExternalSystem, path: str) -> Any:
    headers = signing.sign_headers(system.key_id, str(system.secret), "GET", path, b"")
    return client.get(path, headers=headers)
