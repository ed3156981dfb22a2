"""A fake SMS gateway on loopback that speaks Aliyun's ``SendSms`` (the project's real
``AliyunSMSBackend`` is pointed at it through ``ALIYUN_SMS_ENDPOINT``). It can be made slow and
unreliable, and it counts what it accepted per message (``OutId`` = the outbox's dedup key): an
accepted message is an SMS sent to a phone, whether or not the caller lived to read the answer."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, port: int) -> None:
        self.port = port
        self.fail_rate = 0.0
        self.latency_s = 0.0
        self.accepted: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.refused = 0
        self.requests = 0
        self.queries = 0
        self.records: dict[str, list[dict[str, str]]] = {}
        self.lock = threading.Lock()
        self.rng = random.Random(30)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if (query.get("Action") or [""])[0] == "QuerySendDetails":
                    self.query_details(query)
                    return
                out_id = (query.get("OutId") or [""])[0]
                phone = (query.get("PhoneNumbers") or [""])[0]
                with gateway.lock:
                    gateway.requests += 1
                    gateway.seen[out_id] += 1
                    fail = gateway.rng.random() < gateway.fail_rate
                    delay = gateway.latency_s
                if delay:
                    time.sleep(delay)
                if fail:
                    with gateway.lock:
                        gateway.refused += 1
                    body = {"Code": "isp.SYSTEM_ERROR", "Message": "gateway busy", "RequestId": secrets.token_hex(8)}
                    status = 500
                else:
                    biz_id = secrets.token_hex(10)
                    with gateway.lock:
                        gateway.accepted[out_id] += 1
                        gateway.records.setdefault(phone, []).append({"OutId": out_id, "BizId": biz_id})
                    body = {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "r"}
                    status = 200
                self.answer(status, body)

            def query_details(self, query: dict[str, list[str]]) -> None:
                """Aliyun's ``QuerySendDetails`` for one phone: what this gateway accepted (every day is
                today here), 50 per page; as unreliable and slow as sending."""
                phone = (query.get("PhoneNumber") or [""])[0]
                page = int((query.get("CurrentPage") or ["1"])[0])
                with gateway.lock:
                    gateway.queries += 1
                    fail = gateway.rng.random() < gateway.fail_rate
                    delay = gateway.latency_s
                    rows = list(gateway.records.get(phone, []))
                if delay:
                    time.sleep(delay)
                if fail:
                    self.answer(500, {"Code": "isp.SYSTEM_ERROR", "Message": "gateway busy"})
                    return
                chunk = [{**r, "PhoneNum": phone, "SendStatus": 3} for r in rows[(page - 1) * 50 : page * 50]]
                body = {"Code": "OK", "TotalCount": str(len(rows)), "SmsSendDetailDTOs": {"SmsSendDetailDTO": chunk}}
                self.answer(200, body)

            def answer(self, status: int, body: dict[str, object]) -> None:
                raw = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the caller died while we were sending: the SMS went out all the same

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])  # port 0: the system picks a free one
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)

    def start(self) -> Gateway:
        self.thread.start()
        return self

    def configure(self, fail_rate: float = 0.0, latency_s: float = 0.0) -> None:
        with self.lock:
            self.fail_rate, self.latency_s = fail_rate, latency_s

    def sent(self, prefix: str = "") -> Counter[str]:
        with self.lock:
            return Counter({k: v for k, v in self.accepted.items() if k.startswith(prefix)})

    def requests_for(self, prefix: str) -> int:
        with self.lock:
            return sum(v for k, v in self.seen.items() if k.startswith(prefix))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
