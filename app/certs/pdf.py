"""The certificate page: A4, reportlab, Chinese in an embedded TrueType font (a subset of the glyphs used).

`render(data, verify_url, fingerprint, fonts)` returns the PDF's bytes (unsigned: pades.py signs it in
the field at SEAL_BOX, over the drawn seal). `printed_id` puts the full ID number on the page in place
of the masked one of `data`. Each certified field is drawn as one
"label：value" string, so that the verification can read the page's text back with pypdf; the same
data and the fingerprint also go into the PDF's document information (/CertData, /CertFingerprint).

The font is embedded as two subsets (page_font.py): the glyphs of FIXED_TEXT, the text every certificate
prints, made and compressed once per process; and the learner's own characters, per certificate. The QR
code's matrix comes from qr.py.
"""
import io
import json

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfgen import canvas

from app.certs import fonts, page_font, qr
from app.certs.fonts import FontMissing, register_font  # noqa: F401  (part of this module's interface)
from app.certs.seal import LABEL as SEAL_LABEL
from app.certs.seal import SEAL_RED, draw_seal
from app.certs.signing import LABELS, ORG_LABELS

# The rows of the table, in order (issuer and date are printed beside the seal).
PRINTED = ("name", "id_number", "organisation", "project", "year", "hours", "number")

FONT = "CertSansPage"  # the main font, its fixed text's glyphs embedded once per process (page_font.py)
TITLE = "继续教育学时证书"
SUBTITLE = "CERTIFICATE OF CONTINUING EDUCATION"
QR_CAPTION = "微信扫码查验真伪"
SEAL_CAPTION = "（电子签章）"
FOOTER = "本证书加盖电子签章，可扫描二维码或访问 {base}/verify 输入证书编号查验；文件内容被修改后将无法通过查验。"
INK = (0.13, 0.13, 0.13)
GREY = (0.42, 0.42, 0.42)
GOLD = (0.70, 0.55, 0.27)
SEAL_CENTRE = (A4[0] - 180, 184)
SEAL_RADIUS = 60
# The signature field: the seal's square (x1, y1, x2, y2 in points from the page's lower left).
SEAL_BOX = (SEAL_CENTRE[0] - SEAL_RADIUS, SEAL_CENTRE[1] - SEAL_RADIUS,
            SEAL_CENTRE[0] + SEAL_RADIUS, SEAL_CENTRE[1] + SEAL_RADIUS)


class _CertInfo(PDFInfo):
    """Document information with the certificate's own keys next to the standard ones."""

    def __init__(self, extra):
        super().__init__()
        self.extra = extra

    def format(self, document):
        entries = {"Title": PDFString(self.title), "Author": PDFString(self.author),
                   "Subject": PDFString(self.subject), "Creator": PDFString(self.creator),
                   "Producer": PDFString(self.producer), "Keywords": PDFString(self.keywords),
                   "Trapped": PDFName(self.trapped)}
        entries["CreationDate"] = entries["ModDate"] = PDFDate(ts=document._timeStamp)
        for key, value in self.extra.items():
            entries[key] = PDFString(value)
        return PDFDictionary(entries).format(document)


def render(data, verify_url, fingerprint, font_path, fallback_path="", printed_id=None):
    """The certificate for `data` (see signing.FIELDS) as PDF bytes."""
    fonts.register_font(font_path)
    page_font.register(FONT, fonts.MAIN, FIXED_TEXT)
    if fallback_path:
        fonts.register_fallback(fallback_path)
    if printed_id:
        data = {**data, "id_number": printed_id}
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=0)
    _metadata(c, data, fingerprint, printed_id)
    _frame(c)
    _heading(c)
    _body(c, data)
    _fields(c, data)
    _qr(c, verify_url)
    _issuer_and_seal(c, data)
    _footer(c, fingerprint, verify_url)
    c.showPage()
    c.save()
    return out.getvalue()


def _metadata(c, data, fingerprint, printed_id):
    certified = {**data, "id_number": _masked(data["id_number"])} if printed_id else data
    c._doc.info = _CertInfo({"CertNumber": data["number"], "CertFingerprint": fingerprint,
                             "CertData": json.dumps(certified, ensure_ascii=False, sort_keys=True)})
    c.setTitle(f"{TITLE} {data['number']}")
    c.setAuthor(data["issuer"])
    c.setSubject(f"{data['name']} {data['project']} {data['hours']}学时")
    c.setCreator(data["issuer"])
    c.setKeywords(f"certificate {data['number']}")


def _frame(c):
    w, h = A4
    c.setFillColorRGB(0.995, 0.985, 0.955)
    c.rect(0, 0, w, h, stroke=0, fill=1)
    c.setStrokeColorRGB(*GOLD)
    c.setLineWidth(4)
    c.rect(28, 28, w - 56, h - 56)
    c.setLineWidth(0.8)
    c.rect(36, 36, w - 72, h - 72)
    for x, y in ((36, 36), (w - 36, 36), (36, h - 36), (w - 36, h - 36)):
        c.setFillColorRGB(*GOLD)
        c.circle(x, y, 5, stroke=0, fill=1)


def _heading(c):
    w, h = A4
    c.saveState()  # the text state (spacing, render mode) must not leak into the rest of the page
    c.setFillColorRGB(*SEAL_RED)
    c.setStrokeColorRGB(*SEAL_RED)
    c.setLineWidth(0.6)
    text = c.beginText()
    text.setTextRenderMode(2)  # fill and stroke: a bolder title from a single-weight font
    text.setFont(FONT, 34)
    text.setCharSpace(10)
    width = pdfmetrics.stringWidth(TITLE, FONT, 34) + 10 * (len(TITLE) - 1)
    text.setTextOrigin((w - width) / 2, h - 130)
    text.textOut(TITLE)
    c.drawText(text)
    c.restoreState()
    c.setFillColorRGB(*GREY)
    c.setFont(FONT, 11)
    c.drawCentredString(w / 2, h - 156, SUBTITLE)
    c.setStrokeColorRGB(*GOLD)
    c.setLineWidth(1)
    c.line(w / 2 - 150, h - 170, w / 2 + 150, h - 170)


def body_sentence(data):
    """The sentence on the page (the verification checks it too)."""
    return (f"{data['name']}同志于{data['year']}年度参加“{data['project']}”继续教育学习，"
            f"完成全部课程，取得公需科目{data['hours']}学时，经审核合格，特发此证。")


# What every certificate prints whatever its data: its glyphs are embedded once per process (page_font.py).
FIXED_TEXT = "".join((TITLE, SUBTITLE, *LABELS.values(), *ORG_LABELS, "防伪指纹：\u3000年月日", QR_CAPTION,
                      SEAL_CAPTION, SEAL_LABEL, FOOTER,
                      body_sentence(dict.fromkeys(("name", "year", "project", "hours"), ""))))


def _masked(id_number):
    from app.masking import mask_id

    return mask_id(id_number)


def _body(c, data):
    w, h = A4
    c.setFillColorRGB(*INK)
    y = h - 225
    for line in fonts.wrap("\u3000\u3000" + body_sentence(data), 15, w - 210):
        fonts.draw(c, 105, y, line, 15, font=FONT)
        y -= 28


def _fields(c, data):
    """The certified data, one "label：value" line per row (what the verification reads back)."""
    w, h = A4
    y = h - 335
    width = w - 220
    for key in PRINTED:
        label = field_label(key, data)
        value = _shown(key, data[key])
        size = 14
        while size > 8 and fonts.width(f"{label}：{value}", size, FONT) > width:
            size -= 0.5
        text = c.beginText(110, y)
        text.setFillColorRGB(*GREY)
        fonts.text_out(text, f"{label}：", size, FONT)
        text.setFillColorRGB(*INK)
        fonts.text_out(text, value, size, FONT)
        c.drawText(text)
        c.setStrokeColorRGB(0.86, 0.81, 0.70)
        c.setLineWidth(0.5)
        c.line(110, y - 9, w - 110, y - 9)
        y -= 34


def field_label(key, data):
    return data["org_label"] if key == "organisation" else LABELS[key]


def _shown(key, value):
    if key == "year":
        return f"{value}年"
    if key == "hours":
        return f"{value}学时"
    return str(value)


def _qr(c, url):
    """The verification URL as a QR code, drawn as vector squares (sharp at any zoom or print size)."""
    matrix = qr.matrix(url)
    size = 96.0
    x0, y0 = 96, 120
    c.setFillColorRGB(1, 1, 1)
    c.rect(x0 - 6, y0 - 6, size + 12, size + 12, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    c.saveState()
    # Module units from the top-left corner: whole-number coordinates are written short and fast.
    c.transform(size / len(matrix), 0, 0, -size / len(matrix), x0, y0 + size)
    # One path of horizontal runs (far fewer operators than a square per module), written as PDF
    # operators directly: the runs do not overlap, "f*" is what drawPath(fill=1) writes.
    ops = []
    for row, bits in enumerate(matrix):
        start = None
        for col, dark in enumerate((*bits, False)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                ops.append(f"{start} {row} {col - start} 1 re")
                start = None
    ops.append("f*")
    c.addLiteral(" ".join(ops))
    c.restoreState()
    c.setFillColorRGB(*GREY)
    c.setFont(FONT, 9)
    c.drawCentredString(x0 + size / 2, y0 - 20, QR_CAPTION)


def _issuer_and_seal(c, data):
    w, _ = A4
    centre = SEAL_CENTRE[0] - 20
    c.setFillColorRGB(*INK)
    size = 12
    issuer = f"{LABELS['issuer']}：{data['issuer']}"
    while size > 7 and pdfmetrics.stringWidth(issuer, FONT, size) > 270:
        size -= 0.5
    c.setFont(FONT, size)
    c.drawCentredString(centre, 196, issuer)
    c.setFont(FONT, 12)
    c.drawCentredString(centre, 172, f"{LABELS['issued_on']}：{printed_date(data['issued_on'])}")
    draw_seal(c, SEAL_CENTRE[0], SEAL_CENTRE[1], SEAL_RADIUS, data["issuer"], FONT)
    c.setFillColorRGB(*GREY)
    c.setFont(FONT, 9)
    c.drawCentredString(centre + 20, 110, SEAL_CAPTION)


def printed_date(iso):
    year, month, day = iso.split("-")
    return f"{year}年{int(month)}月{int(day)}日"


def _footer(c, fingerprint, verify_url):
    w, _ = A4
    c.setFillColorRGB(*GREY)
    c.setFont(FONT, 8)
    c.drawCentredString(w / 2, 70, f"防伪指纹：{fingerprint}")
    base = verify_url.split("/verify/", 1)[0]
    c.drawCentredString(w / 2, 56, FOOTER.format(base=base))
