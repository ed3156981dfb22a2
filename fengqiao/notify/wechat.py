"""WeChat Official Account (公众号) template messages as a second outbox channel, ``"wechat"``.

Same contract as SMS: the sender gets one :class:`~fengqiao.notify.models.OutboundMessage` (recipient =
the citizen's OpenID for our account), returns WeChat's ``msgid`` or raises
:class:`~fengqiao.notify.backends.DeliveryError` so the relay retries with backoff and dead-letters.

* Access token: ``GET {base}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..`` →
  ``{"access_token", "expires_in"}``; cached in Django's cache (shared by all workers) until five
  minutes before it expires, and fetched again once if WeChat says it is invalid or expired
  (errcode 40001, 40014, 42001).
* Send: ``POST {base}/cgi-bin/message/template/send?access_token=..`` with ``touser``,
  ``template_id``, ``url`` (the tracking link) and ``data``; ``errcode`` 0 means accepted.
* OpenID of a citizen: web-page OAuth (``snsapi_base``) — :func:`openid_for_code` exchanges the
  one-time ``code`` WeChat appends to our redirect for the OpenID (see fengqiao/portal/views.wechat_entry).

Settings (Django settings or environment): ``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``,
``WECHAT_TEMPLATE_ID``, ``WECHAT_API_BASE`` (default ``https://api.weixin.qq.com``), ``WECHAT_TIMEOUT``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from fengqiao.notify.aliyun import conf
from fengqiao.notify.backends import DeliveryError, PermanentDeliveryError
from fengqiao.notify.models import OutboundMessage

TOKEN_ERRORS = {40001, 40014, 42001}
PERMANENT_ERRORS = {40003, 40036, 40037, 43004, 43101}  # bad openid/template, unsubscribed, refused


class WeChatError(DeliveryError):
    pass


class WeChatClient:
    def __init__(self) -> None:
        self.app_id = conf("WECHAT_APP_ID")
        self.secret = conf("WECHAT_APP_SECRET")
        self.template_id = conf("WECHAT_TEMPLATE_ID")
        self.base = conf("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
        self.timeout = float(conf("WECHAT_TIMEOUT", "5"))

    @property
    def cache_key(self) -> str:
        return f"wechat:token:{self.app_id}"

    def _call(self, path: str, query: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        if not url.startswith(("https://", "http://")):
            raise PermanentDeliveryError("WECHAT_API_BASE must be an http(s) URL")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - https base from settings
                out: dict[str, Any] = json.loads(resp.read().decode("utf-8"))
                return out
        except urllib.error.HTTPError as exc:
            raise WeChatError(f"WeChat HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise WeChatError(f"WeChat unreachable: {exc}") from None

    def token(self, *, fresh: bool = False) -> str:
        if not (self.app_id and self.secret):
            raise PermanentDeliveryError("WeChat is not configured (WECHAT_APP_ID / WECHAT_APP_SECRET)")
        if not fresh:
            cached = cache.get(self.cache_key)
            if cached:
                return str(cached)
        got = self._call(
            "/cgi-bin/token", {"grant_type": "client_credential", "appid": self.app_id, "secret": self.secret}
        )
        if not got.get("access_token"):
            raise WeChatError(f"WeChat token refused: {got.get('errcode')} {got.get('errmsg', '')}")
        ttl = max(60, int(got.get("expires_in", 7200)) - 300)
        cache.set(self.cache_key, got["access_token"], ttl)
        return str(got["access_token"])

    def send_template(self, openid: str, data: dict[str, str], url: str = "") -> str:
        if not self.template_id:
            raise PermanentDeliveryError("WeChat template id is not configured (WECHAT_TEMPLATE_ID)")
        body = {
            "touser": openid,
            "template_id": self.template_id,
            "url": url,
            "data": {k: {"value": v} for k, v in data.items()},
        }
        for attempt in (0, 1):
            got = self._call("/cgi-bin/message/template/send", {"access_token": self.token(fresh=attempt > 0)}, body)
            err = int(got.get("errcode", -1))
            if err == 0:
                return str(got.get("msgid", ""))
            if err in TOKEN_ERRORS and attempt == 0:
                cache.delete(self.cache_key)
                continue
            if err in PERMANENT_ERRORS:
                raise PermanentDeliveryError(f"WeChat refused: {err} {got.get('errmsg', '')}")
            raise WeChatError(f"WeChat error: {err} {got.get('errmsg', '')}")
        raise WeChatError("WeChat token refused twice")  # pragma: no cover - loop always returns or raises

    def openid_for_code(self, code: str) -> str:
        """OAuth (snsapi_base): the OpenID behind the one-time ``code``; "" when WeChat refuses it."""
        got = self._call(
            "/sns/oauth2/access_token",
            {"appid": self.app_id, "secret": self.secret, "code": code, "grant_type": "authorization_code"},
        )
        return str(got.get("openid", ""))


def message_data(msg: OutboundMessage) -> tuple[dict[str, str], str]:
    """The template fields of one message: the text, the case code, the time; link to the tracking page."""
    from fengqiao.notify.templates import tracking_link

    case = msg.case
    data = {
        "first": msg.text,
        "keyword1": case.display_code if case is not None else "",
        "keyword2": timezone.localtime(msg.created_at).strftime("%Y-%m-%d %H:%M"),
        "remark": "点击查看办理进度。" if case is not None else "",
    }
    link = tracking_link(case) if case is not None else ""
    return data, link if link.startswith("http") else ""


def wechat_sender() -> Any:
    client = WeChatClient()

    def send(msg: OutboundMessage) -> str:
        data, link = message_data(msg)
        return client.send_template(msg.recipient, data, link)

    return send
