"""The load client sends a request again, once, when the kept-alive connection it reused had been closed by
the server while idle (as browsers do); a fresh connection that fails is reported, not retried; and the
outage checks count a write stored twice as half-written."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from fengqiao.cases.actions import register_case
from resilience.client import Client
from resilience.load import Write
from resilience.scenarios.outage import integrity
from tests.conftest import Org, case_payload

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class OneShotServer:
    """Answers one request per connection, then resets the connection (SO_LINGER 0) without saying
    ``Connection: close`` — the kept-alive socket a client holds is dead, as after gunicorn's keepalive."""

    def __init__(self, reset_first: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.reset_first = reset_first
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if data:
                self.requests += 1
                if not (self.reset_first and self.requests == 1):
                    conn.sendall(OK)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[OneShotServer]:
    s = OneShotServer()
    yield s
    s.close()


def test_a_request_on_a_connection_closed_while_idle_is_sent_again_once(server: OneShotServer) -> None:
    client = Client(server.port, timeout=5)
    assert client.request("GET", "/a").status == 200
    threading.Event().wait(0.1)  # the server has reset the kept-alive connection meanwhile
    second = client.request("GET", "/b")
    assert (second.status, second.error) == (200, "")
    assert server.requests == 2  # the dead connection carried nothing the server read
    client.close()


def test_a_fresh_connection_that_fails_is_reported_not_retried() -> None:
    s = OneShotServer(reset_first=True)
    try:
        answer = Client(s.port, timeout=5).request("POST", "/write", body={"x": 1})
        assert answer.status == 0 and answer.error
        assert s.requests == 1
    finally:
        s.close()


def test_a_write_stored_twice_counts_as_half_written(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # integrity() drops stale connections first (it runs after outages); inside a test transaction it must not
    monkeypatch.setattr("django.db.close_old_connections", lambda: None)
    for title in ("韧性-once", "韧性-twice", "韧性-twice"):
        register_case(org.actor("dispatcher"), case_payload(org, title=title), via="test")
    writes = [Write(0, "register", "韧性-once", 201), Write(0, "register", "韧性-twice", 201)]
    assert integrity(writes)["half"] == 1
    assert integrity(writes[:1])["half"] == 0
