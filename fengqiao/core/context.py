"""Per-request context (request id, client IP) carried in context variables.

Set by :class:`fengqiao.core.middleware.RequestIdMiddleware`; read by the audit log and logging.
Background jobs set their own request id so their audit rows can be correlated too.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def request_context(request_id: str | None = None, ip: str | None = None) -> Iterator[str]:
    rid = request_id or new_request_id()
    t1 = request_id_var.set(rid)
    t2 = client_ip_var.set(ip)
    try:
        yield rid
    finally:
        request_id_var.reset(t1)
        client_ip_var.reset(t2)
