"""Rare characters in names: a learner named with a CJK Extension B character (𠀀) registers, and the
certificate shows the character, drawn from the fallback font (compared pixel by pixel)."""
import io

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from app.accounts.models import User
from app.certs import fonts, pdf, service
from tests.certs_fixtures import finished_learner, issued, rasterise

DPI = 150
RARE = "𠀀"  # U+20000, CJK Extension B: not in the main font


@pytest.fixture
def rare_learner(api, learner_data):
    status, body = api.register({**learner_data, "name": "王" + RARE})
    assert status == 201, body
    return User.get()


def _ink(png, box):
    """The dark pixels of a region (PDF points, origin lower left) as a set of (x, y) offsets."""
    image = Image.open(png).convert("L")
    scale = DPI / 72
    x1, y1, x2, y2 = box
    left, top = int(x1 * scale), int((A4[1] - y2) * scale)
    right, bottom = int(x2 * scale) + 1, int((A4[1] - y1) * scale) + 1
    crop = image.crop((left, top, right, bottom))
    return {(x, y) for x in range(crop.width) for y in range(crop.height) if crop.getpixel((x, y)) < 110}


def _single_glyph(prefix, font, char, x, y, size):
    """One character on the certificate's paper in its ink, rasterised like the certificate; the PNG's path."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFillColorRGB(0.995, 0.985, 0.955)
    c.rect(0, 0, A4[0], A4[1], stroke=0, fill=1)
    c.setFillColorRGB(*pdf.INK)
    c.setFont(font, size)
    c.drawString(x, y, char)
    c.save()
    prefix.with_suffix(".pdf").write_bytes(out.getvalue())
    return rasterise(prefix.with_suffix(".pdf"), prefix, dpi=DPI)


def test_the_main_font_lacks_the_character_and_the_fallback_has_it(app):
    fonts.register_font(app.config["CERT_FONT_PATH"])
    fonts.register_fallback(app.config["CERT_FALLBACK_FONT_PATH"])
    assert not fonts.has_glyph(fonts.MAIN, RARE) and fonts.has_glyph(fonts.FALLBACK, RARE)
    assert fonts.runs("王" + RARE + "同志") == [(fonts.MAIN, "王"), (fonts.FALLBACK, RARE), (fonts.MAIN, "同志")]


def test_the_certificate_shows_an_extension_b_character(app, rare_learner, tmp_path):
    user, project = finished_learner()
    assert user.name == "王" + RARE
    cert = issued(user, project)
    data = service.render_pdf(cert)
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "姓名：王" + RARE in text  # the text layer carries the real character too
    (tmp_path / "cert.pdf").write_bytes(data)
    page = rasterise(tmp_path / "cert.pdf", tmp_path / "cert", dpi=DPI)

    # where the name row puts the character: after "姓名：王" on the first row (see pdf._fields)
    size, x0, y0 = 14, 110, A4[1] - 335
    x = x0 + fonts.width("姓名：王", size)
    face = fonts.pdfmetrics.getFont(fonts.FALLBACK).face
    box = (x, y0 + face.descent * size / 1000 - 2, x + fonts.width(RARE, size),
           y0 + face.ascent * size / 1000 + 2)

    reference = _single_glyph(tmp_path / "ref", fonts.FALLBACK, RARE, x, y0, size)

    shown, expected = _ink(page, box), _ink(reference, box)
    assert len(expected) > 40  # the glyph has strokes
    overlap = len(shown & expected) / len(shown | expected)
    assert overlap > 0.85, overlap
    # and what a missing glyph would look like (the main font's empty box) is something else
    missing = _ink(_single_glyph(tmp_path / "tofu", fonts.MAIN, "\u25a1", x, y0, size), box)
    assert len(shown & missing) / len(shown | missing) < 0.5


def test_without_the_fallback_font_printing_fails_clearly(app, rare_learner):
    user, project = finished_learner()
    app.config["CERT_FALLBACK_FONT_PATH"] = "/nonexistent/HanaMinB.ttf"
    fonts._registered.pop(fonts.FALLBACK, None)
    try:
        cert = issued(user, project)  # issuing itself succeeds; the file is made on the first download
        assert cert.pdf_key == ""
        response = app.test_client().get(f"/api/v1/certificates/{cert.number}/pdf")
        assert response.status_code == 401
        from app.errors import ApiError

        with pytest.raises(ApiError) as err:
            service.render_pdf(cert)
        assert err.value.status == 503 and "证书服务暂不可用" in err.value.message
    finally:
        fonts._registered.pop(fonts.FALLBACK, None)
