"""Mail: the SMTP provider talks to a real SMTP server; the development outbox shows what arrived."""
from app import mail
from app.mail import outbox
from tests.mail_fixtures import smtp_outbox  # noqa: F401  (fixture)


def test_smtp_provider_delivers_with_attachment_and_outbox_reads_it(app_factory, smtp_outbox):  # noqa: F811
    app = app_factory(**smtp_outbox)
    with app.app_context():
        assert outbox.messages() == []
        data = b"PK\x03\x04 not really a workbook"
        mail.send(mail.build("hr@unit.example.cn", "批量注册结果", "您好，结果见附件。",
                             [("结果.xlsx", data, mail.XLSX_TYPE)]))
        got = outbox.messages()
        assert len(got) == 1
        assert got[0]["subject"] == "批量注册结果"
        assert got[0]["to"] == "hr@unit.example.cn"
        assert "结果见附件" in got[0]["text"]
        assert got[0]["attachments"] == [{"filename": "结果.xlsx", "size": len(data),
                                          "content_type": "application/vnd.openxmlformats-officedocument"
                                                          ".spreadsheetml.sheet"}]
        assert outbox.attachment(got[0]["id"], 0)[2] == data
        assert outbox.attachment(got[0]["id"], 1) is None
        assert outbox.attachment("../etc", 0) is None


def test_dev_mail_page_lists_messages_and_serves_attachments(app_factory, smtp_outbox):  # noqa: F811
    app = app_factory(**smtp_outbox)
    client = app.test_client()
    with app.app_context():
        mail.send(mail.build("hr@unit.example.cn", "测试邮件", "正文", [("a.xlsx", b"xyz", mail.XLSX_TYPE)]))
        message_id = outbox.messages()[0]["id"]
    page = client.get("/dev/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "测试邮件" in html and "a.xlsx" in html
    download = client.get(f"/dev/mail/{message_id}/0")
    assert download.status_code == 200
    assert download.data == b"xyz"
    assert client.get(f"/dev/mail/{message_id}/5").status_code == 404


def test_dev_mail_page_is_absent_in_production(app_factory, smtp_outbox):  # noqa: F811
    app = app_factory(**smtp_outbox)
    app.config["APP_ENV"] = "production"
    assert app.test_client().get("/dev/mail").status_code == 404


def test_unreachable_smtp_server_raises_for_the_job_to_retry(app_factory):
    import pytest

    app = app_factory(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=1)
    with app.app_context(), pytest.raises(ConnectionRefusedError):
        mail.send(mail.build("hr@unit.example.cn", "x", "y"))
