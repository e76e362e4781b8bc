"""A real SMTP server (aiosmtpd with the development Outbox handler) for the mail tests."""
import pytest

from app.mail.devserver import controller


@pytest.fixture
def smtp_outbox(tmp_path):
    """Start the development SMTP server on a free port; yields the settings that point the app at it."""
    folder = tmp_path / "mail-outbox"
    ctl = controller(folder)
    ctl.start()
    yield {"MAIL_SMTP_HOST": ctl.hostname, "MAIL_SMTP_PORT": ctl.port, "MAIL_OUTBOX_DIR": str(folder),
           "MAIL_FROM": "noreply@ce.example.cn"}
    ctl.stop()
