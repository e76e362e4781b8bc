"""What makes the certificate page quick must not change it: the QR matrix equals qrcode's own, and the
page font's fixed subset is the same in every certificate while the learner's characters are still
embedded, drawn and read back."""
import io
import random
import string

import qrcode
from pypdf import PdfReader

from app.certs import page_font, pdf, qr
from app.certs.verify import printed_fields
from tests.certs_fixtures import rasterise, read_qr

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DATA = {"number": "CE2026-7K3M9QX2P", "name": "欧阳晓燕", "id_number": "5001**********7657",
        "org_label": "工作单位", "organisation": "沙坪坝区示范社区卫生服务中心（演示）", "project": "2026年公需科目",
        "year": 2026, "hours": 30, "issuer": "专业技术人员继续教育公需科目学习平台", "issued_on": "2026-11-26"}


def _qrcode_matrix(text):
    code = qrcode.QRCode(error_correction=qr.ERROR_CORRECTION, border=0, mask_pattern=qr.MASK)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def test_the_qr_matrix_equals_qrcodes_own():
    rng = random.Random(7)
    texts = [f"https://ce.example.cn/verify/CE2026-{''.join(rng.choices(string.ascii_uppercase, k=9))}"
             f"?fp={'-'.join(''.join(rng.choices('ABCDEFGHJKMNPQRSTUVWXYZ234567', k=4)) for _ in range(8))}"
             for _ in range(40)]
    texts += ["1", "HELLO WORLD 123", "12345678901234567890", "x" * 300, "https://a.cn/" + "Z9" * 150, "查验https://例.cn/1"]
    sizes = set()
    for text in texts:
        mine = qr.matrix(text)
        assert mine == _qrcode_matrix(text), text
        sizes.add(len(mine))
    assert sizes == {21, 25, 37, 61, 69}  # versions 1, 2, 5, 11 and 13 (version 7 and up carry version bits)


def _font_files(data):
    """{BaseFont: decoded font program} of the page's TrueType subsets."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    out = {}
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        if "/FontDescriptor" in font:
            program = font["/FontDescriptor"].get_object()["/FontFile2"].get_object()
            out[str(font["/BaseFont"]).lstrip("/")] = program.get_data()
    return out


def test_the_fixed_subset_is_the_same_in_every_certificate_and_the_rest_follows_the_data(tmp_path):
    first = pdf.render(DATA, "https://ce.example.cn/verify/1", "ABCD-EFGH", FONT)
    other = {**DATA, "name": "买买提·艾力", "organisation": "渝北区示范中学（演示）", "number": "CE2026-2Q7WXK3M4"}
    second = pdf.render(other, "https://ce.example.cn/verify/2", "WXYZ-2345", FONT)
    one, two = _font_files(first), _font_files(second)
    assert sorted(one) == sorted(two) == ["AAAAAA+WenQuanYiMicroHei-0", "AAAAAB+WenQuanYiMicroHei-0"]
    assert one["AAAAAA+WenQuanYiMicroHei-0"] == two["AAAAAA+WenQuanYiMicroHei-0"]  # made once, reused
    assert one["AAAAAB+WenQuanYiMicroHei-0"] != two["AAAAAB+WenQuanYiMicroHei-0"]  # the learner's own glyphs
    font = page_font._registered[pdf.FONT]
    assert list(font._made) == [0]  # the fixed subset's streams, formatted once
    assert set(font.fixed) >= set("继续教育学时证书姓名身份证号防伪指纹微信扫码查验真伪") and "欧" not in font.fixed
    for data, expected in ((first, DATA), (second, other)):
        found = printed_fields(PdfReader(io.BytesIO(data)).pages[0].extract_text())
        assert {k: found[k] for k in ("name", "organisation", "number", "issuer")} == {
            k: expected[k] for k in ("name", "organisation", "number", "issuer")}
    path = tmp_path / "second.pdf"
    path.write_bytes(second)
    assert read_qr(rasterise(path, tmp_path / "second")) == "https://ce.example.cn/verify/2"
