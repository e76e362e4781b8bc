"""The certificate's fonts: a main TrueType font with Chinese glyphs and a fallback for rare characters.

Names may hold characters the main font lacks (CJK Extension B such as 𠀀, in Unicode's plane 2):
text is cut into runs, each drawn with the first font that has its glyphs. Both fonts are embedded
as subsets. Fonts are registered once per process (about 70 ms each); later calls are free.

reportlab 5.1 writes a character beyond the BMP into the subset's ToUnicode map as "<20000>", which
is not UTF-16: readers (and the verification's text extraction) then lose it. `_to_unicode_cmap`
writes UTF-16BE (a surrogate pair: "<D840DC00>") and replaces reportlab's function on import.
"""
import os
import threading

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

MAIN = "CertSans"
FALLBACK = "CertFallback"
_lock = threading.Lock()
_registered = {}  # font name -> path


def _to_unicode_cmap(fontname, subset):
    """A ToUnicode CMap for a font subset (code i -> subset[i]) with UTF-16BE destinations."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             f"/CIDSystemInfo\n<< /Registry ({fontname})\n/Ordering ({fontname})\n/Supplement 0\n>> def",
             f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
             f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar"]
    lines += [f"<{i:02X}> <{chr(v).encode('utf-16-be').hex().upper()}>" for i, v in enumerate(subset)]
    lines += ["endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


class FontMissing(RuntimeError):
    """A configured TrueType font is not installed (operators: see the message)."""


def _register(name, path, package):
    if _registered.get(name) == path:
        return
    with _lock:
        if _registered.get(name) != path:
            if not path or not os.path.exists(path):
                raise FontMissing(f"certificate font not found at {path!r}: install {package} or set the "
                                  "font's path (CERT_FONT_PATH / CERT_FALLBACK_FONT_PATH) to a TrueType font")
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            _registered[name] = path


def register_font(path):
    """Register the main font (Debian's fonts-wqy-microhei by default); returns its name."""
    _register(MAIN, path, "fonts-wqy-microhei")
    return MAIN


def register_fallback(path):
    """Register the fallback font (Debian's fonts-hanazono by default); returns its name."""
    _register(FALLBACK, path, "fonts-hanazono")
    return FALLBACK


def has_glyph(font, ch):
    return ord(ch) in pdfmetrics.getFont(font).face.charToGlyph


def runs(text, font=MAIN):
    """[(font, text)]: consecutive characters grouped by the font that draws them.

    A character the main font lacks goes to the fallback; FontMissing when no fallback is registered
    or it lacks the character too (a wrong name must not be printed).
    """
    out = []
    glyphs = pdfmetrics.getFont(font).face.charToGlyph  # looked up once per text, not per character
    for ch in text:
        use = font
        if ord(ch) not in glyphs and not ch.isspace():
            if FALLBACK not in _registered or not has_glyph(FALLBACK, ch):
                raise FontMissing(f"no certificate font has a glyph for U+{ord(ch):04X}: install fonts-hanazono "
                                  "or set CERT_FALLBACK_FONT_PATH to a TrueType font that has it")
            use = FALLBACK
        if out and out[-1][0] == use:
            out[-1] = (use, out[-1][1] + ch)
        else:
            out.append((use, ch))
    return out


def width(text, size, font=MAIN):
    return sum(pdfmetrics.stringWidth(part, name, size) for name, part in runs(text, font))


def text_out(textobject, text, size, font=MAIN):
    """Write `text` into a reportlab text object, switching fonts between runs."""
    for name, part in runs(text, font):
        textobject.setFont(name, size)
        textobject.textOut(part)


def draw(c, x, y, text, size, align="left", font=MAIN):
    """Draw one line at (x, y); align "left" or "centre"."""
    if align == "centre":
        x -= width(text, size, font) / 2
    t = c.beginText(x, y)
    text_out(t, text, size, font)
    c.drawText(t)


def wrap(text, size, max_width):
    """Break Chinese text into lines of at most `max_width` points, character by character.

    A line's width is the sum of its characters' advances (no kerning), kept as the line grows rather
    than measured again from its start for every character.
    """
    lines, line, used = [], "", 0.0
    for ch in text:
        advance = width(ch, size)
        if line and used + advance > max_width:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += advance
    return [*lines, line] if line else lines
