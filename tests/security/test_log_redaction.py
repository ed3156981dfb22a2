"""No tracking secret and no searched phone number in any log (issue #12, 8): Django's loggers through
the configured handler, runserver's request lines, and gunicorn's access log."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from gunicorn.config import Config

from fengqiao.core.gunicorn_log import RedactingLogger
from fengqiao.core.logging import redact
from tests.conftest import Org, client_for

SECRET = "Sekr3t-Track1ng-Link_42"
PHONE = "13812345678"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The output of the configured console handler (with its filters), captured."""
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler))
    buffer = io.StringIO()
    old = handler.setStream(buffer)  # type: ignore[type-var]
    try:
        yield buffer
    finally:
        handler.setStream(old)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"GET /portal/t/{SECRET}/ HTTP/1.1", SECRET),
        (f"https://fq.example.org/portal/t/{SECRET}/rate/", SECRET),
        (f"/portal/t%2F{SECRET}%2Fwithdraw", SECRET),
        (f"GET /api/cases/?q={PHONE}&page=2", PHONE),
        ("GET /api/cases/?q=%2B86" + PHONE, PHONE),
        ("/staff/ledger/export.xlsx?town=3&q=138+1234+5678", "1234+5678"),
        ("/api/cases/?phone=5678", "5678"),
    ],
)
def test_redact_removes_secrets_and_searches(text: str, leaked: str) -> None:
    assert leaked not in redact(text)


def test_request_logs_of_django_hold_no_tracking_secret(db: Any, captured: io.StringIO) -> None:
    r = Client().get(f"/portal/t/{SECRET}/")
    assert r.status_code == 404  # "Not Found: /portal/t/…/" is logged by django.request
    r = Client().post(f"/portal/t/{SECRET}/withdraw/", {})
    output = captured.getvalue()
    assert "/portal/t/[secret]/" in output
    assert SECRET not in output


def test_api_search_by_phone_is_not_logged(org: Org, captured: io.StringIO) -> None:
    logging.getLogger("django.request").warning("Bad Request: %s", f"/api/cases/?q={PHONE}")
    client_for(org.user("handler1")).get("/api/cases/", {"q": PHONE, "created_before": "not-a-date"})
    assert PHONE not in captured.getvalue()
    assert "q=[redacted]" in captured.getvalue()


def test_runserver_request_lines_are_redacted(captured: io.StringIO) -> None:
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /portal/t/{SECRET}/?q={PHONE} HTTP/1.1", 200, 512)
    output = captured.getvalue()
    assert SECRET not in output and PHONE not in output and "200" in output


def _gunicorn_access(tmp_path: Path, fmt: str | None = None) -> str:
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    if fmt:
        cfg.set("access_log_format", fmt)
    logger = RedactingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/portal/t/{SECRET}/?q={PHONE}",
        "PATH_INFO": f"/portal/t/{SECRET}/",
        "QUERY_STRING": f"q={PHONE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://fq.example.org/portal/t/{SECRET}/receipt/",
        "HTTP_USER_AGENT": "test",
    }
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    resp = SimpleNamespace(status="200 OK", sent=512, headers=[])
    logger.access(resp, req, environ, dt.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def test_gunicorn_access_log_of_the_demo_format_is_redacted(tmp_path: Path) -> None:
    line = _gunicorn_access(tmp_path, '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms')
    assert "/portal/t/[secret]/" in line and SECRET not in line


def test_gunicorn_access_log_of_the_combined_format_is_redacted(tmp_path: Path) -> None:
    """Gunicorn's default format logs the full request line and the Referer: still nothing leaks."""
    line = _gunicorn_access(tmp_path)
    assert '"GET /portal/t/[secret]/?q=[redacted] HTTP/1.1"' in line
    assert SECRET not in line and PHONE not in line


def test_deploy_config_and_demo_server_use_the_redacting_logger() -> None:
    root = Path(__file__).resolve().parents[2]
    assert "fengqiao.core.gunicorn_log.RedactingLogger" in (root / "deploy" / "gunicorn.conf.py").read_text()
    demo = root / "fengqiao" / "demo" / "management" / "commands" / "demo-serve.py"
    assert "fengqiao.core.gunicorn_log.RedactingLogger" in demo.read_text()
