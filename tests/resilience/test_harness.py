"""The resilience suite's own parts, fast: the table, the pass/fail rules, the fake SMS gateway behind
the real Aliyun backend, and the audit tampering against the test database (so the slow suite
cannot rot silently)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from fengqiao.core import audit
from fengqiao.core.audit import verify_chain
from fengqiao.notify.aliyun import AliyunSMSBackend
from fengqiao.notify.backends import SMSError, SMSMessage
from resilience import report, tamper
from resilience.gateway import Gateway
from resilience.report import Row
from resilience.scenarios.schema import failures


def test_table_lists_every_row_with_its_verdict_and_counts() -> None:
    table = report.format_table([Row("steady load", "p95 120 ms", True), Row("spike", "5xx 3", False)])
    lines = table.splitlines()
    assert lines[0].split(" | ")[0].strip() == "scenario"
    assert "steady load" in lines[2] and lines[2].rstrip().endswith("PASS")
    assert "spike" in lines[3] and lines[3].rstrip().endswith("FAIL")
    assert lines[-1] == "1 passed, 1 failed"
    assert len({len(line) for line in lines[:4]}) == 1  # the columns line up


def test_error_row_is_a_failure_with_the_reason() -> None:
    row = report.error_row("pitr", RuntimeError("pg_basebackup failed"))
    assert not row.ok and "pg_basebackup failed" in row.figure and row.verdict == "FAIL"


def test_status_classes_keep_429_503_and_missing_answers_apart() -> None:
    statuses = [200, 201, 302, 404, 429, 503, 500, 502, 0]
    assert report.describe_statuses(statuses) == "2xx 2, 3xx 1, 4xx 1, 429 1, 503 1, 5xx 2, no answer 1"
    assert report.server_errors(statuses) == 2  # 500 and 502; 503 is the honest answer to an outage
    assert report.five_xx(statuses) == 3
    assert report.only_allowed([200, 429, 503], {"2xx", "429", "503"})
    assert not report.only_allowed([200, 0], {"2xx", "429", "503"})
    assert not report.only_allowed([200, 500], {"2xx", "429", "503"})


def test_steady_rule_needs_fast_error_free_and_flat_memory() -> None:
    assert report.steady_ok(499.0, [200, 200, 404], 0.05)
    assert not report.steady_ok(500.0, [200], 0.0)  # p95 must be under 500 ms
    assert not report.steady_ok(100.0, [200, 503], 0.0)  # no 5xx at all, 503 included
    assert not report.steady_ok(100.0, [200], 0.10)  # growth under 10%
    assert not report.steady_ok(100.0, [], 0.0)  # no requests is no evidence
    assert report.rss_growth(200_000, 210_000) == pytest.approx(0.05)


def test_outage_rule() -> None:
    assert report.outage_ok([503, 503, 200], 0, 12.0)
    assert not report.outage_ok([503, 500], 0, 12.0)
    assert not report.outage_ok([503], 1, 12.0)  # something half-written
    assert not report.outage_ok([503], 0, 31.0)  # recovery within 30 s
    assert not report.outage_ok([503], 0, None)  # never recovered


def test_exactly_once_counts() -> None:
    once, lost, dup = report.exactly_once({"a": 1, "b": 2, "x": 1}, ["a", "b", "c"])
    assert (once, lost, dup) == (1, 1, 1)


def test_percentile_interpolates() -> None:
    assert report.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 50) == 30.0
    assert report.percentile([0.0, 100.0], 95) == pytest.approx(95.0)


def test_schemathesis_junit_failures_are_classified() -> None:
    junit = """<?xml version="1.0"?><testsuites><testsuite name="schemathesis" tests="3">
      <testcase name="POST /api/cases/"><failure message="ST101">1. Server error</failure></testcase>
      <testcase name="GET /api/categories/"><failure message="ST108">Response violates schema</failure></testcase>
      <testcase name="GET /api/units/"><failure message="ST112">Response time exceeded</failure></testcase>
      <testcase name="GET /api/me/"/></testsuite></testsuites>"""
    assert failures(junit) == {
        "server error": ["POST /api/cases/"],
        "schema violation": ["GET /api/categories/"],
        "other": ["GET /api/units/"],
    }


def test_fake_gateway_behind_the_real_aliyun_backend() -> None:
    gateway = Gateway(0).start()
    try:
        with override_settings(
            ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{gateway.port}/",
            ALIYUN_SMS_ACCESS_KEY_ID="k",
            ALIYUN_SMS_ACCESS_KEY_SECRET="s",
            ALIYUN_SMS_TEMPLATES='{"*": "SMS_1"}',
        ):
            backend = AliyunSMSBackend()
            assert backend.send(SMSMessage("13800000000", "【枫桥】测试", "progress", "k:1"))
            gateway.configure(fail_rate=1.0)
            with pytest.raises(SMSError):
                backend.send(SMSMessage("13800000000", "【枫桥】测试", "progress", "k:2"))
    finally:
        gateway.close()
    assert gateway.sent("k:") == {"k:1": 1}
    assert gateway.requests_for("k:") == 2


@pytest.fixture
def chain(db: None) -> int:
    for i in range(6):
        audit.record("test.tamper", object_type="t", object_id=i, detail={"i": i})
    audit.chain_pending()  # the background step (a running stack chains within a second)
    count, problem = verify_chain()
    assert problem is None
    return count


@pytest.mark.django_db
def test_single_row_edit_is_detected(chain: int) -> None:
    seq = chain - 2
    tamper.edit(seq)
    _count, problem = verify_chain()
    assert problem is not None and problem.seq == seq and problem.kind == "edited"
    intact, message = tamper.audit_verify()
    assert not intact and f"#{seq}" in message


@pytest.mark.django_db
def test_deleted_row_is_detected(chain: int) -> None:
    seq = chain - 2
    tamper.delete(seq)
    _count, problem = verify_chain()
    assert problem is not None and problem.seq == seq and problem.kind == "deleted"
