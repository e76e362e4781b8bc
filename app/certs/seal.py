"""The electronic seal, drawn with vector graphics: a red ring, a star, the issuer's name around the rim.

Drawn by the project for its own certificates; it is not a scan or an imitation of any real seal,
and the label inside says it is an electronic one (电子签章).
"""
import math

SEAL_RED = (0.84, 0.09, 0.11)
LABEL = "电子证书专用章"


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
    _rim_text(c, x, y, radius * 0.74, issuer, font, radius)
    c.setFont(font, radius * 0.14)
    c.drawCentredString(x, y - radius * 0.46, label)
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


def _rim_text(c, x, y, text_radius, text, font, radius):
    """The issuer's name along the upper rim, read left to right, each character upright to the centre."""
    span = math.radians(min(240, 60 + 10 * len(text)))
    step = span / max(len(text) - 1, 1) if len(text) > 1 else 0
    size = min(radius * 0.26, 0.92 * text_radius * step) if len(text) > 1 else radius * 0.26
    c.setFont(font, size)
    start = math.pi / 2 + span / 2  # the first character sits on the left, going clockwise
    for i, ch in enumerate(text):
        angle = start - i * step
        c.saveState()
        c.translate(x + text_radius * math.cos(angle), y + text_radius * math.sin(angle))
        c.rotate(math.degrees(angle) - 90)
        c.drawCentredString(0, -size * 0.35, ch)
        c.restoreState()
