"""SMS backends, chosen by ``FENGQIAO_SMS_BACKEND`` like Django's email backends.

A backend sends one message and raises :class:`SMSError` when the gateway refuses or fails, so the
caller can retry. The console and file backends are for development and the demo.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from fengqiao.core.crypto import mask_phone

log = logging.getLogger("fengqiao.sms")
SECRET_LINK = re.compile(r"(/portal/t/)[A-Za-z0-9_-]+/?")


class DeliveryError(Exception):
    """A channel did not accept the message (the relay retries it with backoff, then dead-letters it)."""


class PermanentDeliveryError(DeliveryError):
    """The channel refused the message for good (bad number, missing configuration): dead-lettered at once."""


class SMSError(DeliveryError):
    """The message was not accepted by the SMS gateway (may be retried)."""


@dataclass(frozen=True)
class SMSMessage:
    phone: str
    text: str
    template: str = ""
    dedup_key: str = ""


class BaseSMSBackend(abc.ABC):
    """The contract of an SMS backend (console, file, Aliyun …): subclasses implement ``send``.

    A backend that can tell whether the gateway already accepted a message (by the outbox's dedup key,
    which it sends along) sets ``can_look_up`` and implements ``find_sent``: the relay then asks before
    it hands a message over a second time, so a relay that died mid-call, or a call that timed out after
    the gateway accepted it, never makes a phone ring twice."""

    can_look_up = False

    @abc.abstractmethod
    def send(self, message: SMSMessage) -> str:
        """Send one message; return the gateway's message id."""

    def find_sent(self, message: SMSMessage, since: dt.datetime) -> str | None:
        """The gateway's id of ``message`` if the gateway accepted it at or after ``since``, else None.
        Raises :class:`DeliveryError` when the gateway cannot answer (the message stays in doubt). A backend
        without a record of what it sent (``can_look_up`` False; the relay never asks it) finds nothing."""
        return None


class ConsoleSMSBackend(BaseSMSBackend):
    """Prints the message (phone masked) to the log."""

    def send(self, message: SMSMessage) -> str:
        msg_id = secrets.token_hex(8)
        # The tracking link carries a secret: keep it out of the log.
        log.info("SMS to %s: %s", mask_phone(message.phone), SECRET_LINK.sub(r"\1…/", message.text))
        return msg_id


class FileSMSBackend(BaseSMSBackend):
    """Appends each message as one JSON line to ``FENGQIAO_SMS_FILE_PATH/sms-YYYYMMDD.jsonl``."""

    def send(self, message: SMSMessage) -> str:
        folder = Path(settings.FENGQIAO_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        msg_id = secrets.token_hex(8)
        line = {
            "id": msg_id,
            "at": timezone.now().isoformat(),
            "phone": message.phone,
            "text": message.text,
            "template": message.template,
            "dedup_key": message.dedup_key,
        }
        with open(folder / f"sms-{timezone.now():%Y%m%d}.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return msg_id

    can_look_up = True

    def find_sent(self, message: SMSMessage, since: dt.datetime) -> str | None:
        if not message.dedup_key:
            return None
        folder = Path(settings.FENGQIAO_SMS_FILE_PATH)
        day, last = since.date(), timezone.now().date()
        while day <= last:
            path = folder / f"sms-{day:%Y%m%d}.jsonl"
            if path.exists():
                with open(path, encoding="utf-8") as fh:
                    for raw in fh:
                        try:
                            line = json.loads(raw)
                        except ValueError:
                            continue
                        if line.get("dedup_key") == message.dedup_key and line.get("phone") == message.phone:
                            return str(line.get("id", ""))
            day += dt.timedelta(days=1)
        return None


def get_backend() -> BaseSMSBackend:
    cls = import_string(settings.FENGQIAO_SMS_BACKEND)
    return cls()
