"""The electronic seal, drawn with vector graphics: a red ring, a star, the issuer's name around the rim.

Drawn by the project for its own certificates; it is not a scan or an imitation of any real seal,
and the label inside says it is an electronic one (电子签章). `layout` computes where every glyph
goes (the drawing and the collision test share it): the rim text spans at most RIM_MAX_DEGREES, so
its lowest glyphs stay above the inner line whatever the issuer's length.
"""
import math
from dataclasses import dataclass

SEAL_RED = (0.84, 0.09, 0.11)
LABEL = "电子证书专用章"
RIM_MAX_DEGREES = 210
LABEL_SIZE = 0.14  # of the radius
LABEL_BASELINE = -0.50  # of the radius, from the centre


@dataclass(frozen=True)
class Glyph:
    """One character: its anchor (the baseline's centre, page points), rotation (degrees) and size."""

    char: str
    x: float
    y: float
    angle: float
    size: float


def layout(x, y, radius, issuer, label=LABEL):
    """(rim glyphs, inner label as one Glyph whose `char` is the whole line) for a seal centred on (x, y)."""
    text_radius = radius * 0.74
    n = len(issuer)
    span = math.radians(min(RIM_MAX_DEGREES, 60 + 10 * n))
    step = span / max(n - 1, 1) if n > 1 else 0
    size = min(radius * 0.26, 0.92 * text_radius * step) if n > 1 else radius * 0.26
    start = math.pi / 2 + span / 2  # the first character sits on the left, going clockwise
    rim = []
    for i, ch in enumerate(issuer):
        angle = start - i * step
        # the glyph's baseline sits 0.35 size below its centre point on the circle, toward the centre
        cx, cy = x + text_radius * math.cos(angle), y + text_radius * math.sin(angle)
        rot = math.degrees(angle) - 90
        bx = cx + 0.35 * size * math.sin(math.radians(rot))
        by = cy - 0.35 * size * math.cos(math.radians(rot))
        rim.append(Glyph(ch, bx, by, rot, size))
    inner = Glyph(label, x, y + radius * LABEL_BASELINE, 0.0, radius * LABEL_SIZE)
    return rim, inner


def draw_seal(c, x, y, radius, issuer, font, label=LABEL):
    """Draw the seal centred on (x, y) on a reportlab canvas `c`."""
    c.saveState()
    c.setStrokeColorRGB(*SEAL_RED)
    c.setFillColorRGB(*SEAL_RED)
    c.setFillAlpha(0.88)
    c.setStrokeAlpha(0.88)
    c.setLineWidth(radius * 0.055)
    c.circle(x, y, radius, stroke=1, fill=0)
    _star(c, x, y + radius * 0.04, radius * 0.30)
    rim, inner = layout(x, y, radius, issuer, label)
    if rim:  # one text object, each glyph placed by its text matrix: rotated about its anchor, centred on it
        text = c.beginText()
        text.setFont(font, rim[0].size)
        for glyph in rim:
            cos, sin = math.cos(math.radians(glyph.angle)), math.sin(math.radians(glyph.angle))
            half = c.stringWidth(glyph.char, font, glyph.size) / 2
            text.setTextTransform(cos, sin, -sin, cos, glyph.x - half * cos, glyph.y - half * sin)
            text.textOut(glyph.char)
        c.drawText(text)
    c.setFont(font, inner.size)
    c.drawCentredString(inner.x, inner.y, inner.char)
    c.restoreState()


def _star(c, x, y, outer):
    """A filled five-pointed star, one point up."""
    inner = outer * 0.382
    path = c.beginPath()
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        angle = math.pi / 2 + i * math.pi / 5
        px, py = x + r * math.cos(angle), y + r * math.sin(angle)
        if i == 0:
            path.moveTo(px, py)
        else:
            path.lineTo(px, py)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
