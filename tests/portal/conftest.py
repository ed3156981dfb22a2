from __future__ import annotations

from typing import Any

import pytest

from tests.portal import sms_backend


@pytest.fixture(autouse=True)
def memory_sms(settings: Any) -> Any:
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    sms_backend.reset()
    yield sms_backend
    sms_backend.reset()
