"""The 民生码 poster of a unit: an A4-proportioned PNG (1240×1754, A4 at 150 dpi) and an A4 PDF with the QR code,
the unit's name and a short instruction. The CJK font follows the case-file PDF's fallback list."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from fengqiao.core.pdftext import FONT_CANDIDATES
from fengqiao.org.models import Unit

WIDTH, HEIGHT = 1240, 1754
BLUE = (11, 83, 148)
INK = (31, 41, 51)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if path and Path(path).exists():
            try:
                return ImageFont.truetype(path, size, index=0)
            except OSError:
                continue
    return ImageFont.load_default(size)


def _centre(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill: tuple[int, int, int]) -> int:
    font = _font(size)
    # Shrink long names until they fit the page width.
    while draw.textlength(text, font=font) > WIDTH - 120 and size > 24:
        size -= 4
        font = _font(size)
    w = draw.textlength(text, font=font)
    draw.text(((WIDTH - w) / 2, y), text, font=font, fill=fill)
    return y + int(size * 1.45)


def poster_png(unit: Unit, url: str) -> bytes:
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, WIDTH, 230], fill=BLUE)
    _centre(draw, 50, "民生码 · 有事扫一扫", 84, (255, 255, 255))
    y = _centre(draw, 280, unit.name, 64, INK)
    buf = io.BytesIO()
    segno.make_qr(url, error="m").save(buf, kind="png", scale=20, border=2)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    side = 820
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    img.paste(qr, ((WIDTH - side) // 2, y + 30))
    y = y + 30 + side + 40
    for line in (
        "邻里纠纷、欠薪、物业、土地等烦心事，",
        "用手机扫码，说清楚是什么事，",
        "我们会安排专人办理，进度短信告诉您。",
    ):
        y = _centre(draw, y, line, 46, INK)
    _centre(draw, HEIGHT - 120, "紧急情况请拨打 110 · 政务服务热线 12345", 36, (82, 96, 109))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def poster_pdf(unit: Unit, url: str) -> bytes:
    """The same poster as a one-page A4 PDF (reportlab, CJK font as in the case file), ready to print:
    the QR code is drawn as vector squares, so it stays sharp at any printer resolution."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.shapes import Drawing, Rect
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from fengqiao.core.pdftext import pdf_font

    font = pdf_font()
    page_w, page_h = A4
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"民生码 {unit.name}")
    c.setFillColorRGB(*(v / 255 for v in BLUE))
    c.rect(0, page_h - 40 * mm, page_w, 40 * mm, stroke=0, fill=1)

    def centre(y: float, text: str, size: float, rgb: tuple[int, int, int]) -> None:
        while c.stringWidth(text, font, size) > page_w - 24 * mm and size > 10:
            size -= 1
        c.setFont(font, size)
        c.setFillColorRGB(*(v / 255 for v in rgb))
        c.drawCentredString(page_w / 2, y, text)

    centre(page_h - 26 * mm, "民生码 · 有事扫一扫", 34, (255, 255, 255))
    centre(page_h - 58 * mm, unit.name, 26, INK)
    qr = segno.make_qr(url, error="m")
    matrix = list(qr.matrix)
    side = 140 * mm
    cell = side / len(matrix)
    drawing = Drawing(side, side)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                drawing.add(
                    Rect(col * cell, side - (r + 1) * cell, cell + 0.05, cell + 0.05, fillColor="black", strokeWidth=0)
                )
    top = page_h - 70 * mm
    renderPDF.draw(drawing, c, (page_w - side) / 2, top - side)
    y = top - side - 14 * mm
    for line in (
        "邻里纠纷、欠薪、物业、土地等烦心事，",
        "用手机扫码，说清楚是什么事，",
        "我们会安排专人办理，进度短信告诉您。",
    ):
        centre(y, line, 18, INK)
        y -= 10 * mm
    centre(14 * mm, "紧急情况请拨打 110 · 政务服务热线 12345", 13, (82, 96, 109))
    c.setFont(font, 8)
    c.setFillColorRGB(0.5, 0.5, 0.5)
    c.drawCentredString(page_w / 2, 7 * mm, url)
    c.showPage()
    c.save()
    return out.getvalue()
