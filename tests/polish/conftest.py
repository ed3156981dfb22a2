"""The first-hour polish tests (issue 13) reuse the portal's in-memory SMS and the staff helpers."""

from tests.portal.conftest import memory_sms, message_templates
from tests.web.conftest import _private_storage

__all__ = ["_private_storage", "memory_sms", "message_templates"]
