"""The H5 registration form: every problem counted in the banner, a missing choice called missing, and a
registered ID number answered with the ways on (log in, reset, the service desk)."""
import re

from app import consents
from app.accounts.models import User
from tests.conftest import sms_code_for


def _csrf(client):
    return client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]


def _form(data, **extra):
    form = {k: v for k, v in data.items() if k != "confirm_true"}
    form.update(password2=data["password"], confirm_true="on",
                **{f"consent_{key}": "on" for key in consents.current()}, **extra)
    return form


def test_missing_gender_is_called_missing_and_every_problem_is_counted(app, client, learner_data):
    form = _form(learner_data, csrf_token=_csrf(client), mobile="123", sms_code="")
    del form["gender"]  # no radio button chosen: the browser sends nothing
    page = client.post("/register", data=form).get_data(as_text=True)
    banner = re.search(r'id="form-error">([^<]*)', page).group(1)
    assert "另有" in banner and "处需修改" in banner
    errors = re.findall(r'field-error">([^<]*)', page)
    assert "应为文本" not in page and "必填" in errors, errors
    assert banner.count("手机号") <= 1  # the field's label is not repeated by its message
    assert User.select().count() == 0


def test_a_registered_id_number_offers_login_reset_and_the_service_desk(app, client, registered):
    browser = app.test_client()
    token = _csrf(browser)
    browser.post("/register/code", data={"mobile": "13700000000", "csrf_token": token})
    code = sms_code_for(app, "13700000000", "注册账号")
    resp = browser.post("/register", data=_form({**registered, "mobile": "13700000000"}, csrf_token=token,
                                                sms_code=code))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert 'id="conflict-login"' in page and 'id="conflict-forgot"' in page and "请致电客服申诉" in page
    assert User.select().count() == 1
