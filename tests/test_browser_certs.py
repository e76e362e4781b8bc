"""Headless Chromium, end to end: a learner who finished the demo plan confirms the data, prints and
downloads the signed certificate; the test reads the QR code from the rendered page (pdftoppm + zbar),
opens it and sees "genuine"; the downloaded file uploaded to the verify page reads "genuine", an edited
copy (an update appended after signing) reads the reason, and so does a forged unsigned look-alike."""
import pytest
from playwright.sync_api import expect

from app.certs import pdf, service
from app.certs.cli import seed_demo_units
from app.certs.models import Certificate
from app.certs.numbers import new_number
from app.demo import demo_year
from tests.certs_fixtures import append_name_edit, finished_learner, rasterise, read_qr

pytestmark = pytest.mark.browser


def test_print_download_scan_and_verify(app, live_server, page, registered, shots, engine, tmp_path):
    seed_demo_units()
    user, project = finished_learner()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/login")
    page.fill("#f-username", registered["mobile"])
    page.fill("#f-password", registered["password"])
    page.click("#submit")
    page.goto(live_server + "/")
    expect(page.locator("#home-certs")).to_contain_text("我的证书")
    page.screenshot(path=str(shots / f"certs-home-{engine}.png"), full_page=True)
    page.click("#home-certs")
    plan = page.locator(f"#plan-{project.id}")
    expect(plan).to_have_attribute("data-state", "need_profile")

    # Complete the data: name and ID as registered, the unit picked from the searchable list.
    page.click(f"#complete-{project.id}")
    expect(page.locator("#cert-name")).to_have_text("张三")
    expect(page.locator("#cert-id")).to_have_text("5001**********7657")
    page.fill("#f-q", "建筑设计")
    page.click("#search")
    expect(page.locator("#unit-list label")).to_have_count(1)
    page.check("#unit-list input[type=radio]")
    page.check("#f-confirm")
    page.screenshot(path=str(shots / f"certs-profile-{engine}.png"), full_page=True)
    page.click("#save-profile")
    expect(page.locator(".toptips.ok")).to_contain_text("证书信息已确认")

    # Print, then download the PDF.
    page.click(f"#print-{project.id}")
    expect(page.locator(".toptips.ok")).to_contain_text("证书已签发")
    expect(plan).to_have_attribute("data-state", "issued")
    number = Certificate.get().number
    expect(plan.locator(".cert-number")).to_have_text(number)
    page.screenshot(path=str(shots / f"certs-issued-{engine}.png"), full_page=True)
    with page.expect_download() as download:
        page.click(f"#download-{project.id}")
    pdf_path = tmp_path / "certificate.pdf"
    download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    # Rasterise page 1, read the QR code with zbar, open what it holds.
    png = rasterise(pdf_path, shots / f"certificate-{engine}")
    url = read_qr(png)
    assert url.startswith(f"{live_server}/verify/{number}?fp="), url
    page.goto(url)
    expect(page.locator("#verdict-title")).to_have_text("证书真实有效")
    expect(page.locator("#v-number")).to_have_text(number)
    expect(page.locator("#v-name")).to_have_text("张三")
    expect(page.locator("#v-id")).to_have_text("5001**********7657")
    expect(page.locator("#v-org")).to_have_text("重庆示范建筑设计研究院（演示）")
    expect(page.locator("#v-hours")).to_have_text("30 学时")
    expect(page.locator("#v-year")).to_have_text(f"{demo_year()} 年")
    assert "500103199003077657" not in page.content()
    page.screenshot(path=str(shots / f"certs-verified-{engine}.png"), full_page=True)

    # The downloaded file passes the upload check; a copy with another name does not.
    page.goto(live_server + "/verify")
    page.set_input_files("#f-file", str(pdf_path))
    page.click("#upload-go")
    expect(page.locator("#verdict")).to_have_attribute("data-state", "genuine")
    expect(page.locator("#verdict-title")).to_have_text("证书真实有效")
    expect(page.locator("#verdict-message")).to_contain_text("数字签名完好")
    expect(page.locator("#root-download")).to_be_visible()
    page.screenshot(path=str(shots / f"certs-upload-genuine-{engine}.png"), full_page=True)
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(append_name_edit(pdf_path.read_bytes(), "Li Si"))
    page.set_input_files("#f-file", str(edited))
    page.click("#upload-go")
    expect(page.locator("#verdict")).to_have_attribute("data-state", "tampered")
    expect(page.locator("#verdict-message")).to_contain_text("姓名")
    expect(page.locator("#verdict-message")).to_contain_text("数字签名显示文件在签名后被修改")
    page.screenshot(path=str(shots / f"certs-upload-edited-{engine}.png"), full_page=True)
    cert = Certificate.get()
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(pdf.render({**service.certified_data(cert), "name": "李四"}, service.verify_url(cert),
                                  cert.fingerprint, app.config["CERT_FONT_PATH"]))
    page.set_input_files("#f-file", str(forged))
    page.click("#upload-go")
    expect(page.locator("#verdict-title")).to_have_text("文件已被修改")
    expect(page.locator("#verdict-message")).to_contain_text("文件没有本平台的数字签名")
    expect(page.locator("#verdict-message")).to_contain_text("姓名")
    expect(page.locator("#v-name")).to_have_text("张三")
    page.screenshot(path=str(shots / f"certs-tampered-{engine}.png"), full_page=True)

    # A mistyped number, then a made-up one, typed into the form.
    page.fill("#f-number", number[:-1] + ("0" if number[-1] != "0" else "1"))
    page.click("#verify-go")
    expect(page.locator("#verdict")).to_have_attribute("data-state", "invalid")
    expect(page.locator("#verdict-message")).to_contain_text("校验不通过")
    page.fill("#f-number", new_number(2026))
    page.click("#verify-go")
    expect(page.locator("#verdict-title")).to_have_text("查无此证书")
