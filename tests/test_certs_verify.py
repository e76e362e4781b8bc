"""Public verification, on both engines: genuine, revoked, replaced, made-up numbers, tampered PDFs."""
import io
import json

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from app.accounts.models import User
from app.certs import pdf, service, verify
from app.certs.models import Certificate
from app.demo import demo_year
from tests.certs_fixtures import finished_learner, issued


@pytest.fixture
def cert(app, registered):
    user, project = finished_learner()
    return issued(user, project)


def _forge(cert, app, **changes):
    """What a forger would make: the platform's layout with other data, the genuine number and fingerprint."""
    data = {**service.certified_data(cert), **changes}
    return pdf.render(data, service.verify_url(cert), cert.fingerprint, app.config["CERT_FONT_PATH"])


def _with_metadata(pdf_bytes, **info):
    """The same pages with edited document information (as pypdf or any PDF editor would save it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_genuine_certificate_by_number(cert, api):
    status, body = api.get(f"/certificates/verify/{cert.number}")
    result = body["data"]
    assert status == 200 and result["state"] == "genuine" and result["message"] == "证书真实有效"
    c = result["certificate"]
    assert (c["name"], c["id_number"], c["hours"], c["year"]) == ("张三", "5001**********7657", 30, demo_year())
    assert c["organisation"] == "重庆示范建筑设计研究院（演示）" and c["org_label"] == "工作单位"
    # typed in lower case with spaces, and with the fingerprint of the QR code
    status, body = api.get(f"/certificates/verify/{cert.number.lower()}?fp={cert.fingerprint}")
    assert body["data"]["state"] == "genuine"


def test_a_made_up_number_fails_clearly(cert, api):
    from app.certs.numbers import new_number

    made_up = new_number(2026)  # well-formed, right check character, never issued
    result = api.get(f"/certificates/verify/{made_up}")[1]["data"]
    assert result["state"] == "unknown" and not result["genuine"] and result["certificate"] is None
    assert f"未查到证书编号 {made_up}" in result["message"] and "伪造" in result["message"]
    typo = cert.number[:-2] + ("A" if cert.number[-2] != "A" else "B") + cert.number[-1]
    result = api.get(f"/certificates/verify/{typo}")[1]["data"]
    assert result["state"] == "invalid" and "校验不通过" in result["message"]
    result = api.get("/certificates/verify/CE2026-123")[1]["data"]
    assert result["state"] == "invalid" and "格式不正确" in result["message"]


def test_a_wrong_fingerprint_in_the_link_is_reported(cert, api):
    result = api.get(f"/certificates/verify/{cert.number}?fp=AAAA-BBBB")[1]["data"]
    assert result["state"] == "mismatch" and "防伪指纹" in result["message"]


def test_the_genuine_pdf_passes(cert, api, app):
    data = service.render_pdf(cert)
    status, body = api.post("/certificates/verify-pdf", data={"file": (io.BytesIO(data), "c.pdf")},
                            content_type="multipart/form-data")
    assert status == 200 and body["data"]["state"] == "genuine", body
    assert body["data"]["message"] == "证书真实有效：数字签名完好，文件未被修改，内容与登记信息一致"
    # also as a raw body, as the mini-program may send it
    status, body = api.post("/certificates/verify-pdf", data=data, content_type="application/pdf")
    assert body["data"]["state"] == "genuine"


def _check(api, data):
    return api.post("/certificates/verify-pdf", data={"file": (io.BytesIO(data), "c.pdf")},
                    content_type="multipart/form-data")[1]["data"]


def test_a_pdf_with_another_name_is_caught(cert, api, app):
    """Re-made with the same number and fingerprint but another name (page text and metadata)."""
    result = _check(api, _forge(cert, app, name="李四"))
    assert result["state"] == "tampered" and not result["genuine"]
    assert "姓名" in result["differences"] and "已被修改" in result["message"] and "姓名" in result["message"]
    assert result["certificate"]["name"] == "张三"  # the record, to compare with


def test_an_edit_of_the_metadata_only_is_caught(cert, api):
    original = service.render_pdf(cert)
    info = PdfReader(io.BytesIO(original)).metadata
    data = json.loads(info["/CertData"])
    edited = _with_metadata(original, **{"/CertData": json.dumps({**data, "hours": 60}, ensure_ascii=False)})
    result = _check(api, edited)
    assert result["state"] == "tampered" and result["differences"] == ["学时"]


def test_an_edit_of_the_page_only_is_caught(cert, api, app):
    """The page says 60 hours; the metadata is the original's."""
    info = PdfReader(io.BytesIO(service.render_pdf(cert))).metadata
    forged = _with_metadata(_forge(cert, app, hours=60), **{k: str(v) for k, v in info.items()})
    result = _check(api, forged)
    assert result["state"] == "tampered" and "学时" in result["differences"]


def test_files_that_are_not_our_certificates(cert, api):
    assert _check(api, b"%PDF-1.4 not really")["state"] == "unreadable"
    assert _check(api, b"hello")["state"] == "unreadable"
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(100, 700, "Certificate of something")
    c.save()
    result = _check(api, out.getvalue())
    assert result["state"] == "unknown" and "没有找到证书编号" in result["message"]


def test_revoked_and_replaced(cert, api, app):
    service.revoke(cert.number, "学时数据有误")
    result = api.get(f"/certificates/verify/{cert.number}")[1]["data"]
    today = service.cn_date(Certificate.get_by_id(cert.id).revoked_at)
    assert result["state"] == "revoked" and result["message"] == f"该证书已于{today}撤销，不再有效"
    assert result["certificate"]["revoked_on"] == today
    assert _check(api, service.render_pdf(cert))["state"] == "revoked"  # an unaltered file of a revoked one

    User.update(name="张叁").where(User.id == cert.user_id).execute()  # staff corrected the registered name
    new = service.reissue(cert.number)
    assert new.number != cert.number and new.name == "张叁"
    old = api.get(f"/certificates/verify/{cert.number}")[1]["data"]
    assert old["state"] == "replaced" and new.number in old["message"]
    assert old["certificate"]["replaced_by"] == new.number
    assert api.get(f"/certificates/verify/{new.number}")[1]["data"]["state"] == "genuine"


def test_a_record_edited_behind_the_platforms_back_is_noticed(cert, api):
    Certificate.update(credit_hours=60).where(Certificate.id == cert.id).execute()
    result = api.get(f"/certificates/verify/{cert.number}")[1]["data"]
    assert result["state"] == "error" and not result["genuine"]


def test_the_public_pages(cert, client, app):
    page = client.get(f"/verify/{cert.number}?fp={cert.fingerprint}").get_data(as_text=True)
    assert "证书真实有效" in page and "张三" in page and "5001**********7657" in page
    assert "500103199003077657" not in page
    page = client.get("/verify/CE2026-ABCDEFGHJ").get_data(as_text=True)
    assert 'data-state="invalid"' in page or 'data-state="unknown"' in page
    assert client.get(f"/verify?number={cert.number}").headers["Location"].endswith(f"/verify/{cert.number}")
    forged = _forge(cert, app, name="李四")
    page = client.post("/verify", data={"file": (io.BytesIO(forged), "c.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-state="tampered"' in page and "文件已被修改" in page
    page = client.post("/verify", data={}, content_type="multipart/form-data").get_data(as_text=True)
    assert "请选择要查验的证书 PDF 文件" in page


def test_verification_is_rate_limited_per_network(cert, api, monkeypatch):
    from app.certs import api as certs_api

    monkeypatch.setattr(certs_api, "VERIFY_PER_MINUTE", 3)
    codes = [api.get(f"/certificates/verify/{cert.number}")[0] for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_printed_fields_reads_a_duplicated_line_as_unreadable():
    found = verify.printed_fields("姓名：张三\n姓名：李四\n学时：30学时\n发证日期：2026年1月2日")
    assert found["name"] is None and found["hours"] == "30" and found["issued_on"] == "2026-01-02"
