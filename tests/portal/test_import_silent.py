"""A bulk import of history does not text the applicants; the same case from a live door does."""

from __future__ import annotations

import pytest

from fengqiao.cases.actions import register_case
from fengqiao.notify.models import OutboundMessage
from tests.conftest import Org, case_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("via", "texted"), [("import", 0), ("web", 1)])
def test_registration_sms_only_for_live_doors(org: Org, via: str, texted: int) -> None:
    case, _ = register_case(org.actor("handler1"), case_payload(org), via=via)
    assert OutboundMessage.objects.filter(case=case, channel="sms").count() == texted
