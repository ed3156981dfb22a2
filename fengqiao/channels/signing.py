"""HMAC-SHA256 request signing, used both ways (systems → Fengqiao, Fengqiao → webhooks).

The signed string is ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256(BODY)`` (path with its query string,
timestamp in Unix seconds, hex digests). Headers: ``X-Fq-Key``, ``X-Fq-Timestamp``, ``X-Fq-Nonce``,
``X-Fq-Signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

WINDOW_SECONDS = 300
HEADER_KEY = "X-Fq-Key"
HEADER_TS = "X-Fq-Timestamp"
HEADER_NONCE = "X-Fq-Nonce"
HEADER_SIG = "X-Fq-Signature"


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(secret.encode(), string_to_sign(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def sign_headers(key_id: str, secret: str, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    """Headers for one signed request (a fresh nonce and the current time)."""
    ts = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        HEADER_KEY: key_id,
        HEADER_TS: ts,
        HEADER_NONCE: nonce,
        HEADER_SIG: signature(secret, method, path, ts, nonce, body),
    }


def check(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes, sig: str) -> str:
    """'' when the signature and the time are right, else the reason (a short code)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return "bad_timestamp"
    if abs(time.time() - ts) > WINDOW_SECONDS:
        return "stale_timestamp"
    if not nonce or len(nonce) > 64:
        return "bad_nonce"
    expected = signature(secret, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected, (sig or "").lower()):
        return "bad_signature"
    return ""
