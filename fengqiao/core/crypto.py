"""Personal data at rest: authenticated encryption and a keyed search hash.

Both keys are derived from ``settings.FENGQIAO_DATA_KEY`` with HKDF, so one secret in the
environment protects the data; the encryption key and the hash key are independent.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fengqiao", info=purpose).derive(secret.encode())


@functools.lru_cache(maxsize=4)
def _fernet(secret: str) -> MultiFernet:
    # FENGQIAO_DATA_KEY may hold several comma-separated secrets: the first encrypts,
    # all decrypt (key rotation; `fengqiao rotate-data-key` re-encrypts).
    keys = [Fernet(base64.urlsafe_b64encode(_derive(s.strip(), b"encrypt"))) for s in secret.split(",")]
    return MultiFernet(keys)


@functools.lru_cache(maxsize=4)
def _hash_key(secret: str) -> bytes:
    return _derive(secret.split(",")[0].strip(), b"search-hash")


def encrypt(value: str) -> str:
    return _fernet(settings.FENGQIAO_DATA_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FENGQIAO_DATA_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured FENGQIAO_DATA_KEY") from exc


def normalise_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def search_hash(value: str, kind: str = "phone") -> str:
    """Keyed hash for exact-match search (find all cases of a phone number)."""
    normalised = normalise_phone(value) if kind == "phone" else value.strip().upper()
    key = _hash_key(settings.FENGQIAO_DATA_KEY)
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def mask_phone(value: str) -> str:
    digits = normalise_phone(value)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" if digits else ""


def mask_id_number(value: str) -> str:
    if len(value) >= 8:
        return f"{value[:6]}********{value[-1]}" if len(value) == 18 else f"{value[:3]}****{value[-2:]}"
    return "****" if value else ""


def mask_name(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
