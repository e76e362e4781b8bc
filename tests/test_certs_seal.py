"""The seal's rim text never overlaps its inner line: glyph boxes from the embedded font's metrics."""
import math

import pytest
from reportlab.pdfbase import pdfmetrics

from app.certs import pdf
from app.certs.seal import layout
from app.config import Config

ISSUERS = ["重庆", "继续教育中心", "重庆市专业技术人员继续教育中心", "专业技术人员继续教育公需科目学习平台",
           "重庆市人力资源和社会保障局专业技术人员继续教育公需科目学习平台"]


def _font():
    return pdf.register_font(Config().CERT_FONT_PATH)


def glyph_box(glyph, font):
    """The glyph's box (advance width x the font's ascent to descent) as four page-space corners."""
    face = pdfmetrics.getFont(font).face
    width = pdfmetrics.stringWidth(glyph.char, font, glyph.size)
    low, high = face.descent * glyph.size / 1000, face.ascent * glyph.size / 1000
    corners = [(-width / 2, low), (width / 2, low), (width / 2, high), (-width / 2, high)]
    a = math.radians(glyph.angle)
    return [(glyph.x + cx * math.cos(a) - cy * math.sin(a), glyph.y + cx * math.sin(a) + cy * math.cos(a))
            for cx, cy in corners]


def overlap(p, q):
    """Separating-axis test for two convex polygons."""
    for poly in (p, q):
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % len(poly)]
            nx, ny = y2 - y1, x1 - x2
            a = [nx * x + ny * y for x, y in p]
            b = [nx * x + ny * y for x, y in q]
            if max(a) < min(b) or max(b) < min(a):
                return False
    return True


@pytest.mark.parametrize("issuer", ISSUERS)
def test_rim_glyphs_clear_the_inner_line(issuer):
    font = _font()
    rim, inner = layout(415, 184, 60, issuer)
    label_box = glyph_box(inner, font)
    hits = [g.char for g in rim if overlap(glyph_box(g, font), label_box)]
    assert hits == []
    assert len(rim) == len(issuer)


def test_the_check_finds_an_overlap_when_there_is_one():
    font = _font()
    rim, inner = layout(415, 184, 60, ISSUERS[3])
    moved = type(inner)(inner.char, rim[-1].x, rim[-1].y, 0.0, inner.size)  # the label drawn over a rim glyph
    assert overlap(glyph_box(rim[-1], font), glyph_box(moved, font))
