"""Aliyun SMS (dysmsapi ``SendSms``) over plain HTTPS with the standard library.

Requests are signed with the RPC "POP" signature, version 1.0 (HMAC-SHA1), as documented by Aliyun
(签名机制, help.aliyun.com/document_detail/315526): all parameters except ``Signature`` sorted by
name, names and values percent-encoded (RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` left as is, space as
``%20``), joined with ``&``; ``StringToSign = METHOD & percentEncode("/") & percentEncode(query)``;
``Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

Aliyun sends only approved templates, so each of our message kinds maps to a template code
(``ALIYUN_SMS_TEMPLATES``, JSON, ``"*"`` as default). The verification code goes as ``{"code": ...}``
(a 验证码 template); every other message as ``{"content": <our text without the sign>}``.

Settings (Django settings or environment): ``ALIYUN_SMS_ACCESS_KEY_ID``, ``ALIYUN_SMS_ACCESS_KEY_SECRET``,
``ALIYUN_SMS_SIGN_NAME``, ``ALIYUN_SMS_TEMPLATES``, ``ALIYUN_SMS_ENDPOINT`` (default
``https://dysmsapi.aliyuncs.com/``), ``ALIYUN_SMS_TIMEOUT`` (seconds, default 5).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from django.conf import settings

from fengqiao.notify.backends import BaseSMSBackend, PermanentDeliveryError, SMSError, SMSMessage

# Refusals that will not change on a retry: dead-letter at once instead of retrying for hours.
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_PARAMETERS",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.PARAM_LENGTH_LIMIT",
}


def conf(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else os.environ.get(name, default)


def percent_encode(value: str) -> str:
    return urllib.parse.quote(str(value), safe="-_.~")


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    return f"{method}&{percent_encode('/')}&{percent_encode(query)}"


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_query(params: dict[str, str], secret: str) -> str:
    all_params = {**params, "Signature": sign(params, secret)}
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in all_params.items())


class AliyunSMSBackend(BaseSMSBackend):
    def __init__(self) -> None:
        self.key_id = conf("ALIYUN_SMS_ACCESS_KEY_ID")
        self.secret = conf("ALIYUN_SMS_ACCESS_KEY_SECRET")
        self.sign_name = conf("ALIYUN_SMS_SIGN_NAME", "枫桥")
        self.endpoint = conf("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
        self.timeout = float(conf("ALIYUN_SMS_TIMEOUT", "5"))
        try:
            self.templates: dict[str, str] = json.loads(conf("ALIYUN_SMS_TEMPLATES", "{}") or "{}")
        except ValueError:
            self.templates = {}

    def params_for(self, message: SMSMessage) -> dict[str, str]:
        template = self.templates.get(message.template) or self.templates.get("*", "")
        if not (self.key_id and self.secret and template):
            raise PermanentDeliveryError("Aliyun SMS is not configured (access key, secret or template code missing)")
        if message.template == "verify":
            code = re.search(r"\d{6}", message.text)
            param: dict[str, Any] = {"code": code.group(0) if code else ""}
        else:
            param = {"content": re.sub(r"^【[^】]*】", "", message.text)}
        return {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.dedup_key[:64],
            "PhoneNumbers": message.phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(param, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def _call(self, params: dict[str, str]) -> dict[str, Any]:
        url = self.endpoint.rstrip("/") + "/?" + signed_query(params, self.secret)
        if not url.startswith(("https://", "http://")):
            raise PermanentDeliveryError("ALIYUN_SMS_ENDPOINT must be an http(s) URL")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:  # noqa: S310 - https endpoint from settings
                body: dict[str, Any] = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read().decode("utf-8"))
            except ValueError:
                raise SMSError(f"Aliyun SMS HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SMSError(f"Aliyun SMS unreachable: {exc}") from None
        return body

    can_look_up = True

    def find_sent(self, message: SMSMessage, since: dt.datetime) -> str | None:
        """Ask ``QuerySendDetails`` (one phone, one day per call, 50 per page) whether a message with our
        ``OutId`` went out on any day from ``since`` to today (Beijing time, as Aliyun keeps its dates)."""
        if not (self.key_id and self.secret):
            raise PermanentDeliveryError("Aliyun SMS is not configured (access key or secret missing)")
        out_id = message.dedup_key[:64]
        if not out_id:
            return None
        beijing = dt.timezone(dt.timedelta(hours=8))
        day, last = since.astimezone(beijing).date(), dt.datetime.now(beijing).date()
        while day <= last:
            for page in range(1, 11):  # bounded: 500 messages to one phone in a day is far beyond any real case
                body = self._call(self._query_params(message.phone, day, page))
                if str(body.get("Code", "")) != "OK":
                    raise SMSError(f"Aliyun SMS query error: {body.get('Code', '')} {body.get('Message', '')}")
                rows = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
                for row in rows:
                    if str(row.get("OutId", "")) == out_id and str(row.get("SendStatus", "")) != "2":
                        return str(row.get("BizId", "") or row.get("OutId", ""))
                if len(rows) < 50:
                    break
            day += dt.timedelta(days=1)
        return None

    def _query_params(self, phone: str, day: dt.date, page: int) -> dict[str, str]:
        return {
            "AccessKeyId": self.key_id,
            "Action": "QuerySendDetails",
            "CurrentPage": str(page),
            "Format": "JSON",
            "PageSize": "50",
            "PhoneNumber": phone,
            "RegionId": "cn-hangzhou",
            "SendDate": f"{day:%Y%m%d}",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, message: SMSMessage) -> str:
        body = self._call(self.params_for(message))
        code = str(body.get("Code", ""))
        if code == "OK":
            return str(body.get("BizId", ""))
        if code in PERMANENT_CODES:
            raise PermanentDeliveryError(f"Aliyun SMS refused: {code} {body.get('Message', '')}")
        raise SMSError(f"Aliyun SMS error: {code} {body.get('Message', '')}")
