"""Certificate rules without a database: numbers, the keyed fingerprint, districts, the PDF itself."""

import pytest
from flask import Flask
from pypdf import PdfReader

from app.certs import numbers, pdf, signing
from app.certs.districts import DISTRICTS, all_districts, district_name
from app.certs.verify import printed_fields
from app.config import DEV_CERT_SIGNING_KEY
from app.production_checks import check_production
from tests.certs_fixtures import rasterise, read_qr

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DATA = {"number": "CE2026-7K3M9QX2P", "name": "买买提·艾力", "id_number": "6501**********0010",
        "org_label": "工作单位", "organisation": "重庆示范建筑设计研究院（演示）", "project": "2026年公需科目",
        "year": 2026, "hours": 30, "issuer": "专业技术人员继续教育公需科目学习平台", "issued_on": "2026-11-26"}


@pytest.fixture
def ctx():
    app = Flask(__name__)
    app.config.update(CERT_SIGNING_KEY="k" * 40, CERT_SIGNING_OLD_KEYS="", SECRET_KEY="s" * 40, CERT_LINK_DAYS=7)
    with app.app_context():
        yield app


def test_numbers_are_random_and_self_checking():
    made = {numbers.new_number(2026) for _ in range(500)}
    assert len(made) == 500
    for number in made:
        assert numbers.PATTERN.match(number) and numbers.problem(number) is None
        assert not set(number[7:-1]) & set("ILOU")  # no look-alike characters in the random part


def test_every_single_typo_and_adjacent_swap_is_caught():
    for _ in range(2000):
        number = numbers.new_number(2026)
        compact = number.replace("-", "")
        for i in range(len(compact)):
            for ch in numbers.ALPHABET:
                typo = compact[:i] + ch + compact[i + 1:]
                if typo != compact and typo.startswith("CE"):
                    assert numbers.problem(typo[:6] + "-" + typo[6:]) is not None, typo
        for i in range(6, len(compact) - 1):  # every neighbour swap, the check character's included
            swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
            if swapped != compact:
                assert numbers.problem(swapped[:6] + "-" + swapped[6:]) == "check", swapped


def test_a_number_with_an_undetectable_swap_is_never_issued(monkeypatch):
    # CE2026-176ATP6PU passes its check, and so does its swap CE2026-167ATP6PU: the check alone misses it.
    assert numbers.problem("CE2026-176ATP6PU") is None and numbers.problem("CE2026-167ATP6PU") is None
    draws = iter(list("176ATP6P") + list("7K3M9QX2"))
    monkeypatch.setattr(numbers.secrets, "choice", lambda alphabet: next(draws))
    assert numbers.new_number(2026) == "CE2026-7K3M9QX2M"  # the weak draw was thrown away


def test_what_people_type_is_read_as_meant():
    assert numbers.normalise(" ce2026－7k3m 9qx2p ") == "CE2026-7K3M9QX2P"
    assert numbers.normalise("CE2026-7K3M9QX2P".replace("0", "O")) == "CE2026-7K3M9QX2P"
    assert numbers.normalise("ＣＥ２０２６-7K3M9QX2P") == "CE2026-7K3M9QX2P"
    assert numbers.problem("CE2026-7K3M9QX2") == "format"
    # a check character that looks like a digit (O, I, L) is kept as it is
    for letter in "OIL":
        number = next(n for n in iter(lambda: numbers.new_number(2026), None) if n.endswith(letter))
        assert numbers.normalise(number.lower()) == number and numbers.problem(number) is None
    assert numbers.problem("hello") == "format"


def test_fingerprint_covers_every_certified_field(ctx):
    base = signing.fingerprint(DATA)
    assert len(base.replace("-", "")) == 32 and signing.fingerprint_matches(DATA, base)
    for key in signing.FIELDS:
        changed = {**DATA, key: str(DATA[key]) + "X"}
        assert signing.fingerprint(changed) != base, key
    ctx.config["CERT_SIGNING_KEY"] = "another-key-" * 4
    assert not signing.fingerprint_matches(DATA, base)  # needs the key: nobody else can compute it
    ctx.config["CERT_SIGNING_OLD_KEYS"] = "k" * 40
    assert signing.fingerprint_matches(DATA, base)  # an older key still verifies after a rotation


def test_download_tokens_are_signed_and_expire(ctx):
    token = signing.download_token("CE2026-7K3M9QX2P")
    assert signing.number_from_token(token) == ("CE2026-7K3M9QX2P", None)
    assert signing.number_from_token(token[:-2] + "xx") == (None, "invalid")
    ctx.config["CERT_LINK_DAYS"] = -1
    assert signing.number_from_token(token) == (None, "expired")


def test_chongqing_has_38_districts_and_counties():
    codes = [code for code, _ in DISTRICTS]
    assert len(codes) == len(set(codes)) == 38 and all(c.startswith("50") for c in codes)
    assert sum(name.endswith("区") for _, name in DISTRICTS) == 26
    assert sum(name.endswith("自治县") for _, name in DISTRICTS) == 4
    assert district_name("500103") == "渝中区" and district_name("110105") is None
    assert all_districts()[0] == {"code": "500101", "name": "万州区"}


def test_production_needs_its_own_signing_key():
    assert any("CERT_SIGNING_KEY" in p for p in check_production({"CERT_SIGNING_KEY": DEV_CERT_SIGNING_KEY}))
    assert not any("CERT_SIGNING_KEY" in p for p in check_production({"CERT_SIGNING_KEY": "r" * 40}))


def test_the_pdf_embeds_its_font_and_carries_the_data(tmp_path):
    url = "https://ce.example.cn/verify/CE2026-7K3M9QX2P?fp=ABCD"
    data = pdf.render(DATA, url, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567", FONT)
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    reader = PdfReader(path)
    page = reader.pages[0]
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in page.mediabox] == [0, 0, 595, 842]  # A4
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    descriptors = [f["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in f
                   else f.get("/FontDescriptor") for f in fonts]
    assert any(d is not None and "/FontFile2" in d.get_object() for d in descriptors)  # TrueType embedded
    text = page.extract_text()
    assert "继续教育学时证书" in text and "电子签章" in text
    found = printed_fields(text)
    assert {k: found[k] for k in ("name", "id_number", "organisation", "number", "issued_on")} == {
        k: DATA[k] for k in ("name", "id_number", "organisation", "number", "issued_on")}
    assert (found["year"], found["hours"]) == ("2026", "30")
    assert found["fingerprint"] == "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
    assert reader.metadata["/CertNumber"] == DATA["number"]
    assert read_qr(rasterise(path, tmp_path / "page")) == url


def test_a_district_and_a_long_unit_name_fit(tmp_path):
    long_unit = "重庆市示范区示范街道示范社区示范卫生服务中心示范分中心（演示用长名称）"
    for extra in ({"org_label": "档案所在地", "organisation": "重庆市彭水苗族土家族自治县"},
                  {"organisation": long_unit}):
        data = pdf.render({**DATA, **extra}, "http://x/verify/1", "F", FONT)
        found = printed_fields(PdfReader(__import__("io").BytesIO(data)).pages[0].extract_text())
        assert (found["org_label"], found["organisation"]) == (
            extra.get("org_label", "工作单位"), extra["organisation"])


def test_a_missing_font_is_a_clear_operator_error():
    with pytest.raises(pdf.FontMissing, match="fonts-wqy-microhei"):
        pdf.render(DATA, "http://x", "F", "/nonexistent/font.ttc")
