"""PAdES signatures: a certificate signed at issue validates with pyHanko (and its CLI); edits, appended
updates and other signers are reported; hostile PDFs are refused quickly; production needs a signer."""
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app import create_app
from app.certs import pades, pdf, pdfcheck, pki, service
from app.certs.models import Certificate
from app.production_checks import check_production
from app.storage import storage
from tests.certs_fixtures import append_name_edit, finished_learner, issued


@pytest.fixture
def cert(app, registered):
    user, project = finished_learner()
    return Certificate.get_by_id(issued(user, project).id)


def _check(api, data):
    return api.post("/certificates/verify-pdf", data={"file": (io.BytesIO(data), "c.pdf")},
                    content_type="multipart/form-data")[1]["data"]


def _validate(data):
    """pyHanko's own validator against the platform root: the status object."""
    roots = pki.current()[1]
    signature = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    return pades.outside_loop(validate_pdf_signature, signature,
                              ValidationContext(trust_roots=roots, allow_fetching=False))


def test_issuing_signs_once_and_stores_the_file(cert, app):
    assert cert.pdf_key == f"certificates/{cert.year}/{cert.number}-{cert.pdf_sha256[:16]}.pdf"
    stored = storage().get(cert.pdf_key)
    assert hashlib.sha256(stored).hexdigest() == cert.pdf_sha256
    assert service.render_pdf(cert) == stored  # every download: the same bytes
    status = _validate(stored)
    assert (status.bottom_line, status.intact, status.valid, status.trusted) == (True, True, True, True)
    assert status.signing_cert.subject.native["common_name"] == "Continuing Education Platform Certificate Seal"
    embedded = PdfFileReader(io.BytesIO(stored)).embedded_signatures[0]
    assert embedded.field_name == pades.FIELD
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    chain = {c.chosen.subject.native["common_name"] for c in embedded.signed_data["certificates"]}
    assert chain == {"Continuing Education Platform Certificate Seal", "Continuing Education Platform Dev Root CA"}
    # the visible field sits over the drawn seal
    widget = embedded.sig_field["/Kids"][0] if "/Kids" in embedded.sig_field else embedded.sig_field
    assert [round(float(v)) for v in widget["/Rect"]] == [round(v) for v in pdf.SEAL_BOX]


def test_the_full_id_number_is_printed_and_the_metadata_keeps_it_masked(cert, app):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(service.render_pdf(cert)))
    assert "身份证号：500103199003077657" in reader.pages[0].extract_text()
    assert json.loads(reader.metadata["/CertData"])["id_number"] == "5001**********7657"
    app.config["CERT_PRINT_FULL_ID"] = False
    Certificate.update(pdf_key="", pdf_sha256="").where(Certificate.id == cert.id).execute()
    again = service.render_pdf(Certificate.get_by_id(cert.id))
    assert "身份证号：5001**********7657" in PdfReader(io.BytesIO(again)).pages[0].extract_text()


def test_a_changed_byte_in_the_signed_range_is_reported(cert, api):
    data = bytearray(service.render_pdf(cert))
    embedded = PdfFileReader(io.BytesIO(bytes(data))).embedded_signatures[0]
    start, length = embedded.byte_range[0], embedded.byte_range[1]
    data[start + length // 2] ^= 0x01  # one bit of the first signed range
    status = _validate(bytes(data))
    assert status.intact is False and status.bottom_line is False
    result = _check(api, bytes(data))
    assert result["state"] == "tampered" and not result["genuine"]
    assert "签名后被修改" in result["message"] or "数字签名" in result["message"]


def test_an_appended_update_that_edits_the_name_is_reported(cert, api):
    original = service.render_pdf(cert)
    edited = append_name_edit(original, "Li Si")
    assert edited.startswith(original) and len(edited) > len(original)  # the signed bytes are untouched
    status = _validate(edited)
    assert status.intact is True and status.bottom_line is False  # valid maths, but modified afterwards
    assert status.coverage.name == "ENTIRE_REVISION"
    result = _check(api, edited)
    assert result["state"] == "tampered" and not result["genuine"]
    assert "姓名" in result["differences"]
    assert result["certificate"]["name"] == "张三"


def test_a_pdf_signed_by_another_key_is_not_ours(cert, api, app, tmp_path):
    """The same page, signed by a look-alike CA with the same names but other keys."""
    root_path, p12 = pki.ensure_dev_pki(tmp_path / "other")
    other_signer, other_roots, _ = pki.load({"CERT_PKI_DIR": str(tmp_path / "other")})
    unsigned = pdf.render(service.certified_data(cert), service.verify_url(cert), cert.fingerprint,
                          app.config["CERT_FONT_PATH"], printed_id="500103199003077657")
    forged = pades.sign(unsigned, other_signer, pdf.SEAL_BOX)
    status = _validate(forged)
    assert status.intact and status.valid and status.trusted is False
    result = _check(api, forged)
    assert result["state"] == "foreign" and not result["genuine"]
    assert "不是本平台" in result["message"]
    # while the other CA's own root would accept it: the check really is about the root
    assert pades.check(forged, other_roots)["state"] == pades.INTACT


def test_an_unsigned_copy_of_a_signed_certificate_is_not_genuine(cert, api, app):
    unsigned = pdf.render(service.certified_data(cert), service.verify_url(cert), cert.fingerprint,
                          app.config["CERT_FONT_PATH"], printed_id="500103199003077657")
    result = _check(api, unsigned)
    assert result["state"] == "unsigned" and not result["genuine"] and "数字签名" in result["message"]


def test_revoked_signed_file_says_revoked(cert, api):
    data = service.render_pdf(cert)
    service.revoke(cert.number, "学时数据有误")
    result = _check(api, data)
    assert result["state"] == "revoked" and "撤销" in result["message"]


def _hostile_pdf(decoded_mb=70):
    """About 170 KB: a page whose content stream inflates to `decoded_mb` MB, plus an incompressible image."""
    content = zlib.compress(b"0 0 m 1 1 l S\n" * (decoded_mb * 1024 * 1024 // 14), 9)
    noise = random.Random(7).randbytes(160 * 192)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
               b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /XObject /Subtype /Image /Width 160 /Height 192 /ColorSpace /DeviceGray"
               b" /BitsPerComponent 8 /Length %d >>\nstream\n" % len(noise) + noise + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_small_pdf_with_a_huge_content_stream_is_refused_quickly(cert, api, client):
    hostile = _hostile_pdf()
    assert 150 * 1024 < len(hostile) < 200 * 1024
    started = time.perf_counter()
    result = _check(api, hostile)
    elapsed = time.perf_counter() - started
    assert result["state"] == "refused" and not result["genuine"]
    assert result["message"] == pdfcheck.TOO_COMPLEX
    assert elapsed < 1.0, elapsed
    page = client.post("/verify", data={"file": (io.BytesIO(hostile), "c.pdf")},
                       content_type="multipart/form-data")
    assert page.status_code == 200 and "超出证书文件的正常范围" in page.get_data(as_text=True)
    # the same shape within bounds is read (the bound is what refused it)
    text, _ = pdfcheck.read(_hostile_pdf(decoded_mb=1))
    assert text == ""


def test_too_many_pages_and_a_spent_time_budget_are_refused(cert):
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for _ in range(3):
        c.drawString(100, 700, "page")
        c.showPage()
    c.save()
    with pytest.raises(pdfcheck.Refused) as refused:
        pdfcheck.read(out.getvalue())
    assert refused.value.message == pdfcheck.TOO_COMPLEX and refused.value.reason == "3 pages"
    with pytest.raises(pdfcheck.Refused) as refused:
        pdfcheck.read(service.render_pdf(cert), max_seconds=-1)
    assert refused.value.message == pdfcheck.TOO_SLOW


def test_the_readme_command_validates_a_certificate(cert, app, tmp_path):
    """`pyhanko sign validate --trust <platform root> cert.pdf` (the pyhanko-cli package) says valid."""
    cert_path = tmp_path / "cert.pdf"
    cert_path.write_bytes(service.render_pdf(cert))
    root = Path(app.config["CERT_PKI_DIR"]) / pki.ROOT_NAME
    cli = Path(sys.executable).with_name("pyhanko")
    done = subprocess.run([str(cli), "sign", "validate", "--trust", str(root), str(cert_path)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"{pades.FIELD}:") and ":INTACT:TRUSTED,UNTOUCHED" in done.stdout
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(append_name_edit(cert_path.read_bytes(), "Li Si"))
    done = subprocess.run([str(cli), "sign", "validate", "--trust", str(root), str(edited)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "UNTOUCHED" not in done.stdout


def test_the_root_is_published_on_the_verification_page(cert, client, app):
    page = client.get("/verify").get_data(as_text=True)
    root_pem = (Path(app.config["CERT_PKI_DIR"]) / pki.ROOT_NAME).read_bytes()
    assert "平台根证书" in page and 'href="/verify/root.pem"' in page
    response = client.get("/verify/root.pem")
    assert response.status_code == 200 and response.data == root_pem
    assert response.mimetype == "application/x-pem-file"
    sha = hashlib.sha256(pki.current()[1][0].dump()).hexdigest().upper()
    assert sha[:16] in page.replace(":", "")


def test_development_makes_the_pki_once(tmp_path):
    first = pki.ensure_dev_pki(tmp_path / "pki")
    content = [p.read_bytes() for p in first]
    assert [p.read_bytes() for p in pki.ensure_dev_pki(tmp_path / "pki")] == content
    assert oct(first[1].stat().st_mode & 0o777) == "0o600"


def test_production_refuses_to_start_without_a_signer(tmp_path):
    problems = check_production({"CERT_SIGNER_P12_PATH": ""})
    assert any("CERT_SIGNER_P12_PATH" in p for p in problems)
    assert any("CERT_TRUST_ROOT_PATH" in p for p in problems)
    root_path, p12 = pki.ensure_dev_pki(tmp_path / "pki")
    ok = check_production({"CERT_SIGNER_P12_PATH": str(p12), "CERT_TRUST_ROOT_PATH": str(root_path)})
    assert not any("CERT_SIGNER" in p or "CERT_TRUST" in p for p in ok)
    with pytest.raises(RuntimeError, match="CERT_SIGNER_P12_PATH"):
        create_app({"APP_ENV": "production"})
    # and the loader itself never falls back to a generated signer in production
    with pytest.raises(pki.SignerMissing):
        pki.load({"APP_ENV": "production", "CERT_SIGNER_P12_PATH": "", "CERT_PKI_DIR": str(tmp_path / "x")})
    assert not (tmp_path / "x").exists()


def test_a_configured_pkcs12_signer_is_used(app, registered, tmp_path):
    """Production's path: a PKCS#12 file with its passphrase, and the root's PEM file."""
    root_path, p12 = pki.ensure_dev_pki(tmp_path / "issued-by-ca")
    app.config.update(CERT_SIGNER_P12_PATH=str(p12), CERT_SIGNER_P12_PASSPHRASE=pki.DEV_PASSPHRASE.decode(),
                      CERT_TRUST_ROOT_PATH=str(root_path))
    app.extensions.pop("cert_pki", None)
    user, project = finished_learner()
    data = service.render_pdf(issued(user, project))
    assert pades.check(data, pki.current()[1])["state"] == pades.INTACT
    assert pki.current()[2] == root_path.read_bytes()
    app.config["CERT_SIGNER_P12_PASSPHRASE"] = "wrong"
    app.extensions.pop("cert_pki", None)
    with pytest.raises(pki.SignerMissing, match="cannot load"):
        pki.current()


def test_processes_starting_together_share_one_development_pki(tmp_path):
    """The web server, the worker and the clock make the PKI at the same moment: one pair wins, for all."""
    import multiprocessing

    folder = tmp_path / "instance" / "pki"
    context = multiprocessing.get_context("spawn")  # fork would copy the locks of threads the suite runs
    with context.Pool(4) as pool:
        results = pool.map(_make_pki_in, [str(folder)] * 4)
    assert len(set(results)) == 1  # every process read the same root and signer
    assert sorted(p.name for p in folder.iterdir()) == [pki.ROOT_NAME, pki.SIGNER_NAME]
    assert [p.name for p in folder.parent.iterdir()] == ["pki"]  # no staging folder left behind


def _make_pki_in(folder):
    root_path, p12_path = pki.ensure_dev_pki(folder)
    return hashlib.sha256(root_path.read_bytes() + p12_path.read_bytes()).hexdigest()


def test_a_busy_signature_validator_answers_within_the_time_budget(cert):
    """Both validator threads held by slow files: the next upload is refused when its budget is spent,
    instead of holding the web worker."""
    import threading

    from app.certs import verify

    release = threading.Event()
    blockers = [verify._validators.submit(release.wait, 30) for _ in range(2)]
    try:
        started = time.perf_counter()
        result = verify.verify_pdf(service.render_pdf(cert), max_seconds=0.5)
        elapsed = time.perf_counter() - started
    finally:
        release.set()
        for blocker in blockers:
            blocker.result(timeout=5)
    assert result["state"] == "refused" and result["message"] == pdfcheck.TOO_SLOW
    assert 0.3 < elapsed < 2.0, elapsed
    assert verify.verify_pdf(service.render_pdf(cert))["state"] == "genuine"  # free again
