"""一事一码: short, unguessable case codes with a check character, and their QR codes.

A code is 11 random Crockford base32 symbols (55 bits from ``secrets``) plus one check symbol
computed with the Luhn mod-32 algorithm, so a mistyped character is caught before any lookup.
Displayed in groups of four (``7KQ2-M9XD-4HRT``); input is normalised (case, I/L→1, O→0, dashes).
"""

from __future__ import annotations

import functools
import io
import secrets

import segno

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_BODY = 11


def _check_symbol(body: str) -> str:
    factor = 2
    total = 0
    n = len(ALPHABET)
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY))
    return body + _check_symbol(body)


def normalise(raw: str) -> str:
    table = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})
    return "".join(ch for ch in raw.upper().translate(table) if ch in _INDEX)


def is_valid(code: str) -> bool:
    code = normalise(code)
    return len(code) == _BODY + 1 and _check_symbol(code[:-1]) == code[-1]


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr(data: str) -> segno.QRCode:
    """A standard QR code of ``data`` — never a Micro QR, which common phone scanners cannot read
    (``segno.make`` picks Micro QR for short data)."""
    return segno.make_qr(data, error="m")


@functools.lru_cache(maxsize=4096)
def qr_svg(data: str, scale: int = 4) -> str:
    """The SVG of ``data``'s QR code. Cached: the same code gives the same picture, and drawing it costs
    about as much CPU as the rest of a case page (segno is pure Python)."""
    buf = io.BytesIO()
    qr(data).save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True, title=data)
    return buf.getvalue().decode()


def qr_png(data: str, scale: int = 6) -> bytes:
    buf = io.BytesIO()
    qr(data).save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()
