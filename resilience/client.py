"""A small HTTP client for the load: one keep-alive connection, its cookies, production-like headers
(as nginx would pass them: X-Forwarded-Proto https), and a bounded timeout. Never raises on network
errors: a request that got no answer has status 0."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

_COOKIE = re.compile(r"^\s*([^=;\s]+)=([^;]*)")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    ms: float
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode())
        except ValueError:
            return None


class Client:
    def __init__(self, port: int, timeout: float = 30.0, token: str = "", session: str = "") -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.token = token
        if session:
            self.cookies["sessionid"] = session

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        api: bool = False,
    ) -> Answer:
        hdrs = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hans",
            "User-Agent": "fengqiao-resilience",
        }
        if method != "GET":
            hdrs["Referer"] = f"https://127.0.0.1:{self.port}{path}"
            if "csrftoken" in self.cookies:
                hdrs["X-CSRFToken"] = self.cookies["csrftoken"]
        if api and self.token:
            hdrs["Authorization"] = f"Token {self.token}"
        if self.cookies and not (api and self.token):
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        elif isinstance(body, dict):
            data = json.dumps(body, ensure_ascii=False).encode()
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            data = body
        hdrs.update(headers or {})
        t = time.perf_counter()
        reused = self.conn is not None
        try:
            return self._send(method, path, data, hdrs, t)
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
            # A kept-alive connection the server closed while it was idle (gunicorn's keepalive, 2 s):
            # the request never reached a worker. A browser sends it again on a new connection once;
            # so does this client. A write sent twice would show as stored twice in the checks.
            self.close()
            if not reused:
                return Answer(0, (time.perf_counter() - t) * 1000, error=f"{type(exc).__name__}: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Answer(0, (time.perf_counter() - t) * 1000, error=f"{type(exc).__name__}: {exc}")
        try:
            return self._send(method, path, data, hdrs, t)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Answer(0, (time.perf_counter() - t) * 1000, error=f"{type(exc).__name__} (retried): {exc}")

    def _send(self, method: str, path: str, data: bytes | None, hdrs: dict[str, str], t: float) -> Answer:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        # what nginx adds in docs/deployment.md: the time the request reached the proxy (load shedding)
        hdrs = {**hdrs, "X-Request-Start": f"t={time.time():.3f}"}
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        ms = (time.perf_counter() - t) * 1000
        for value in resp.headers.get_all("Set-Cookie") or []:
            m = _COOKIE.match(value)
            if m:
                self.cookies[m.group(1)] = m.group(2)
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return Answer(resp.status, ms, raw, {k.lower(): v for k, v in resp.getheaders()})

    def csrf_from(self, answer: Answer) -> str:
        m = CSRF_INPUT.search(answer.body.decode("utf-8", "replace"))
        return m.group(1) if m else self.cookies.get("csrftoken", "")
