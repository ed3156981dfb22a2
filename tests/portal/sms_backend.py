"""An in-memory SMS gateway for the portal tests; it can be told to fail."""

from __future__ import annotations

import re
import threading

from fengqiao.notify.backends import BaseSMSBackend, SMSError, SMSMessage

SENT: list[SMSMessage] = []
STATE = {"fail": False}
_lock = threading.Lock()


class MemorySMSBackend(BaseSMSBackend):
    def send(self, message: SMSMessage) -> str:
        if STATE["fail"]:
            raise SMSError("gateway down")
        with _lock:
            SENT.append(message)
            return f"mem-{len(SENT)}"


def reset() -> None:
    with _lock:
        SENT.clear()
    STATE["fail"] = False


def last_code(phone: str) -> str:
    for m in reversed(SENT):
        if m.phone == phone and m.template == "verify":
            found = re.search(r"\d{6}", m.text)
            assert found
            return found.group(0)
    raise AssertionError("no verification SMS")
