"""Local fake HTTP servers for the SMS and WeChat providers: real sockets, a server thread, the
signature checked the way the provider checks it, and a switch to fail the next N requests."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fengqiao.notify.aliyun import sign


class Fake:
    def __init__(self) -> None:
        self.fail_next = 0  # answer the next N requests with HTTP 503
        self.refuse_code = ""  # answer with this Aliyun error code
        self.sent: list[dict[str, Any]] = []
        self.requests = 0
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.base = ""


ALIYUN_SECRET = "test-secret"
WECHAT = {"appid": "wx-test", "secret": "wx-secret"}


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _failing(self) -> bool:
            with fake.lock:
                fake.requests += 1
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    return True
            return False

        def do_GET(self) -> None:
            if self._failing():
                return self._json(503, {"Code": "ServiceUnavailable"})
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            if url.path == "/cgi-bin/token":
                if query.get("appid") != WECHAT["appid"] or query.get("secret") != WECHAT["secret"]:
                    return self._json(200, {"errcode": 40013, "errmsg": "invalid appid"})
                with fake.lock:
                    fake.tokens_issued += 1
                    token = f"tok-{fake.tokens_issued}"
                    fake.valid_tokens.add(token)
                return self._json(200, {"access_token": token, "expires_in": 7200})
            if url.path == "/sns/oauth2/access_token":
                if query.get("code") == "good-code":
                    return self._json(200, {"openid": "o-citizen-1", "access_token": "x", "expires_in": 7200})
                return self._json(200, {"errcode": 40029, "errmsg": "invalid code"})
            # Aliyun RPC: recompute the signature over everything but Signature.
            given = query.pop("Signature", "")
            if given != sign(query, ALIYUN_SECRET) or query.get("SignatureMethod") != "HMAC-SHA1":
                with fake.lock:
                    fake.bad_signatures += 1
                return self._json(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
            if fake.refuse_code:
                return self._json(200, {"Code": fake.refuse_code, "Message": "refused"})
            if query.get("Action") == "QuerySendDetails":
                with fake.lock:
                    rows = [
                        {"OutId": m.get("OutId", ""), "PhoneNum": m["PhoneNumbers"], "SendStatus": 3}
                        for m in fake.sent
                        if m.get("PhoneNumbers") == query.get("PhoneNumber")
                    ]
                body = {"Code": "OK", "TotalCount": str(len(rows)), "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}}
                return self._json(200, body)
            with fake.lock:
                fake.sent.append(query)
                n = len(fake.sent)
            return self._json(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{n}", "RequestId": "r"})

        def do_POST(self) -> None:
            if self._failing():
                return self._json(503, {"errcode": -1})
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if url.path != "/cgi-bin/message/template/send":
                return self._json(404, {"errcode": 404})
            if query.get("access_token") not in fake.valid_tokens:
                return self._json(200, {"errcode": 40001, "errmsg": "invalid credential"})
            with fake.lock:
                fake.sent.append(body)
                n = len(fake.sent)
            return self._json(200, {"errcode": 0, "errmsg": "ok", "msgid": 1000 + n})

    return Handler


@contextmanager
def fake_server() -> Iterator[Fake]:
    fake = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
