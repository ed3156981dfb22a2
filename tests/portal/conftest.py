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


@pytest.fixture(autouse=True)
def message_templates(request: Any) -> None:
    """The default SMS templates come from a data migration; a transactional test that ran earlier in
    the same process flushed them, so put back the missing ones for every database test."""
    if request.node.get_closest_marker("django_db") is None:
        return
    from fengqiao.notify.templates import seed_message_templates

    seed_message_templates()
