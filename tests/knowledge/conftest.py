from __future__ import annotations

from typing import Any

import pytest

from tests.portal import sms_backend


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    """The kept search index belongs to the process: start each test from the database it sees."""
    from fengqiao.knowledge import search

    search.forget()
    yield
    search.forget()


@pytest.fixture(autouse=True)
def memory_sms(settings: Any) -> Any:
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    sms_backend.reset()
    yield sms_backend
    sms_backend.reset()


@pytest.fixture
def reference(db: Any) -> None:
    """The 法律援助 type and deadline policy (a transactional test may have flushed the migration's rows)."""
    from fengqiao.knowledge import reference as ref
    from fengqiao.notify.templates import seed_message_templates
    from tests.browser.conftest import seed_reference_data

    seed_reference_data()
    ref.ensure()
    seed_message_templates()


@pytest.fixture
def corpus(db: Any, reference: None) -> None:
    """The project's articles and library entries, loaded through the action layer."""
    from fengqiao.knowledge.seed import load_articles, load_cases

    load_articles()
    load_cases()
