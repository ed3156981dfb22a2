"""Text a PDF font can draw. A CJK font (WenQuanYi, Noto CJK) has no emoji; reportlab then draws
nothing or an empty box. :func:`glyph_safe` keeps what the font has, draws a character the symbol
font (DejaVu Sans) has in that font, and writes a missing emoji as "[表情]" and any other missing
character as "□", so nothing vanishes silently. :func:`pdf_font` is the CJK font every PDF of the
project (case files, agreements, evaluation reports, posters) is written in."""

from __future__ import annotations

import functools
import os
from pathlib import Path

SYMBOL_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SYMBOL_NAME = "FQSymbols"
# Characters that only shape the emoji before them (variation selectors, joiners, skin tones).
_MODIFIERS = {0xFE0E, 0xFE0F, 0x200D, *range(0x1F3FB, 0x1F400)}


def _is_emoji(cp: int) -> bool:
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF or 0x1F1E6 <= cp <= 0x1F1FF


@functools.cache
def _cmap(font: str) -> frozenset[int] | None:
    """The code points ``font`` (a registered reportlab font name) can draw; None when unknown (CID)."""
    from reportlab.pdfbase import pdfmetrics

    face = getattr(pdfmetrics.getFont(font), "face", None)
    mapping = getattr(face, "charToGlyph", None)
    return frozenset(mapping) if mapping else None


@functools.cache
def _symbol_font() -> str | None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not Path(SYMBOL_FONT).exists():
        return None
    try:
        pdfmetrics.registerFont(TTFont(SYMBOL_NAME, SYMBOL_FONT))
    except Exception:
        return None
    return SYMBOL_NAME


def glyph_safe(markup: str, font: str) -> str:
    """``markup`` (already XML-escaped paragraph text) with every character ``font`` cannot draw
    replaced as described above."""
    have = _cmap(font)
    symbols = _symbol_font()
    other = _cmap(symbols) if symbols else None
    out: list[str] = []
    last_emoji = False
    for ch in markup:
        cp = ord(ch)
        if cp in _MODIFIERS:
            continue
        if ch in "\n\t" or cp < 0x80 or (have is not None and cp in have) or (have is None and not _is_emoji(cp)):
            out.append(ch)
            last_emoji = False
        elif other is not None and cp in other:
            out.append(f'<font name="{symbols}">{ch}</font>')
            last_emoji = False
        elif _is_emoji(cp):
            if not last_emoji:
                out.append("[表情]")
            last_emoji = True
        else:
            out.append("□")
            last_emoji = False
    return "".join(out)


FONT_CANDIDATES = [
    os.environ.get("FENGQIAO_PDF_FONT", ""),
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]


def pdf_font() -> str:
    """The CJK font PDFs are written in (registered with reportlab on first use): the first of
    :data:`FONT_CANDIDATES` found, else reportlab's built-in STSong-Light."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path in FONT_CANDIDATES:
        if path and Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("FQSans", path, subfontIndex=0))
                return "FQSans"
            except Exception:  # noqa: S112 - try the next font
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"
