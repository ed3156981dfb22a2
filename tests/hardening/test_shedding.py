"""Load shedding: a request that waited in front of the workers longer than FENGQIAO_QUEUE_DEADLINE_S
(X-Request-Start, set by nginx) gets a Chinese 503 with Retry-After at once, without a database query."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from fengqiao.core.outage import queued_seconds

NOW = 1_764_900_000.0


@pytest.mark.parametrize(
    ("header", "waited"),
    [
        ("t=1764899988.500", 11.5),  # nginx $msec
        ("1764899988500", 11.5),  # milliseconds
        ("t=1764899988500000", 11.5),  # microseconds
        ("t=1764900005.000", None),  # in the future: clocks apart, not believed
        ("t=abc", None),
        ("", None),
        ("t=12", None),  # absurdly old: not a start time
    ],
)
def test_queue_time_from_the_header(header: str, waited: float | None) -> None:
    got = queued_seconds(header, NOW)
    assert got == (pytest.approx(waited) if waited is not None else None)


@pytest.mark.django_db
def test_a_request_that_waited_too_long_gets_a_503_without_touching_the_database(
    settings: Any, django_assert_num_queries: Any
) -> None:
    settings.FENGQIAO_QUEUE_DEADLINE_S = 10
    client = Client()
    with django_assert_num_queries(0):
        r = client.get("/api/me/", HTTP_X_REQUEST_START=f"t={time.time() - 12:.3f}")
    assert r.status_code == 503
    assert r["Retry-After"].isdigit()
    body = r.json()
    assert body["code"] == "unavailable" and "重试" in body["detail"]
    page = client.get("/staff/login/", HTTP_X_REQUEST_START=f"t={time.time() - 12:.3f}")
    assert page.status_code == 503 and "重试" in page.content.decode()


@pytest.mark.django_db
def test_a_request_within_the_deadline_or_without_the_header_is_served(settings: Any) -> None:
    settings.FENGQIAO_QUEUE_DEADLINE_S = 10
    client = Client()
    assert client.get("/staff/login/", HTTP_X_REQUEST_START=f"t={time.time() - 2:.3f}").status_code == 200
    assert client.get("/staff/login/").status_code == 200


@pytest.mark.django_db
def test_shedding_off_when_the_deadline_is_zero(settings: Any) -> None:
    settings.FENGQIAO_QUEUE_DEADLINE_S = 0
    r = Client().get("/staff/login/", HTTP_X_REQUEST_START=f"t={time.time() - 60:.3f}")
    assert r.status_code == 200
