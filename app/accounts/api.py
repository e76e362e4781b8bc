"""Accounts API under /api/v1 (used by the H5 pages' scripts and the mini-program)."""
from flask import current_app, request

from app.accounts import first_login, service, sms
from app.accounts.policy import current_user, issue_token, login_session, logout_session
from app.accounts.schemas import (
    ChangePasswordIn,
    ConsentDocumentOut,
    ContactOut,
    CsrfOut,
    FirstLoginCodeIn,
    FirstLoginCodeOut,
    FirstLoginIn,
    LoginCodeIn,
    LoginIn,
    LoginOut,
    LookupIn,
    OutboxSmsOut,
    ProfileOut,
    RegisterCodeIn,
    RegisterIn,
    ResendOut,
    ResetCodeIn,
    ResetPasswordIn,
    TokenOut,
)
from app.api import NO_DATA, ApiBlueprint, ok
from app.core.views import contact_lines
from app.errors import ApiError
from app.security import csrf_token

bp = ApiBlueprint("accounts", __name__)


def _signed_in(user, status=200, message="ok"):
    """Token for clients that ask (?token=1, the mini-program), a session cookie otherwise."""
    out = {"user": service.profile(user), "token": None}
    if request.args.get("token") == "1":
        out["token"] = issue_token(user)
    else:
        login_session(user)
        out["csrf_token"] = csrf_token()
    return ok(out, message, status)


@bp.endpoint("/auth/register", methods=["POST"], body=RegisterIn, auth=None, response=LoginOut, status=201)
def register(data):
    """Register a learner (R-1) and sign in."""
    user = service.register(data, request.remote_addr)
    return _signed_in(user, 201, "注册成功")


@bp.endpoint("/consents", auth=None, response=list[ConsentDocumentOut])
def consent_documents():
    """The documents a person accepts at registration or first login, with their current versions."""
    from flask import url_for

    from app import consents

    return ok([{"key": key, "title": title, "version": version,
                "url": url_for("consents.document", key=key, _external=True)}
               for key, (title, version, _) in consents.DOCUMENTS.items()])


@bp.endpoint("/auth/register-code", methods=["POST"], body=RegisterCodeIn, auth=None, response=ResendOut)
def register_code(data):
    """Send the registration SMS code to the mobile being registered (a registered one gets a notice)."""
    service.request_register_code(data.mobile, request.remote_addr)
    return ok({"resend_after": current_app.config["SMS_RESEND_SECONDS"]}, "验证码已发送，请注意查收")


@bp.endpoint("/auth/login", methods=["POST"], body=LoginIn, auth=None, response=LoginOut)
def login(data):
    """Log in with username, ID number or mobile, and password (R-2)."""
    user = service.authenticate(data.username, data.password, request.remote_addr, sms_code=data.sms_code)
    return _signed_in(user, message="登录成功")


@bp.endpoint("/auth/login-code", methods=["POST"], body=LoginCodeIn, auth=None, response=ResendOut)
def login_code(data):
    """Send an SMS code to the account's own mobile: with it a correct password gets through any wait."""
    service.request_login_code(data.username, request.remote_addr)
    return ok({"resend_after": current_app.config["SMS_RESEND_SECONDS"]},
              "如账号存在，验证码已发送至其绑定的手机，请注意查收")
@bp.endpoint("/auth/first-login/code", methods=["POST"], body=FirstLoginCodeIn, auth=None,
             response=FirstLoginCodeOut)
def first_login_code(data):
    """First login of a bulk-registered account: send the SMS code to the mobile on the unit's list."""
    first_login.send_code(data.ticket, request.remote_addr)
    return ok({"mobile": first_login.masked_mobile(data.ticket),
               "resend_after": current_app.config["SMS_RESEND_SECONDS"]}, "验证码已发送")


@bp.endpoint("/auth/first-login", methods=["POST"], body=FirstLoginIn, auth=None, response=LoginOut)
def first_login_complete(data):
    """First login: SMS code, a new password (not the initial one) and the privacy consents; then signed in."""
    user = first_login.complete(data.ticket, data.code, data.password, data.consents, request.remote_addr)
    return _signed_in(user, message="密码已设置，欢迎使用")


@bp.endpoint("/auth/csrf", auth=None, response=CsrfOut)
def csrf():
    """The CSRF token a page script sends as X-CSRF-Token with cookie-authenticated calls."""
    return ok({"csrf_token": csrf_token()})


@bp.endpoint("/auth/logout", methods=["POST"], auth=None, response=NO_DATA)
def logout():
    """End this session or revoke this token."""
    logout_session()
    return ok(None, "已退出登录")


@bp.endpoint("/auth/reset-code", methods=["POST"], body=ResetCodeIn, auth=None, response=ResendOut)
def reset_code(data):
    """Send a password-reset SMS code to a registered mobile."""
    service.request_reset_code(data.mobile, request.remote_addr)
    return ok({"resend_after": current_app.config["SMS_RESEND_SECONDS"]},
              "如该手机号已注册，验证码已发送，请注意查收")


@bp.endpoint("/auth/reset-password", methods=["POST"], body=ResetPasswordIn, auth=None, response=NO_DATA)
def reset_password(data):
    """Set a new password with the SMS code; then log in with mobile and the new password."""
    service.reset_password(data.mobile, data.code, data.password, request.remote_addr)
    return ok(None, "密码已重置，请使用手机号和新密码登录")


@bp.endpoint("/me", auth=None, doc_auth="user", response=ProfileOut)
def me():
    """My account (personal data masked)."""
    from app.accounts.profile_cache import my_profile

    return ok(my_profile())


@bp.endpoint("/me/password", methods=["POST"], body=ChangePasswordIn, response=TokenOut | None)
def change_password(data):
    """Change my password; other sessions end."""
    user = service.change_password(current_user(), data.old_password, data.password)
    if request.headers.get("Authorization"):
        return ok({"token": issue_token(user)}, "密码已修改")
    login_session(user)
    return ok(None, "密码已修改")


@bp.endpoint("/contact", auth=None, response=ContactOut)
def contact():
    """Customer service lines (R-3)."""
    return ok(contact_lines(current_app.config))


@bp.endpoint("/staff/accounts/lookup", methods=["POST"], body=LookupIn, auth="staff", response=ProfileOut)
def staff_lookup(data):
    """Service desk: find an account by ID number, mobile or username (answers masked data); audited."""
    from app.masking import mask_text
    from app.staff import audit
    from app.staff.frame import require_role

    require_role("service_desk")
    user = service.find_for_login(data.q)
    audit.record("person.search", "account", user.id if user else "", detail={"by": "api", "value": mask_text(data.q)})
    if user is None:
        raise ApiError("未找到该账号", status=404)
    return ok(service.profile(user))


@bp.endpoint("/dev/sms", auth=None, response=list[OutboxSmsOut])
def dev_sms():
    """Development only: the SMS outbox (mobiles masked)."""
    if current_app.config["APP_ENV"] == "production" or current_app.config["SMS_PROVIDER"] != "outbox":
        raise ApiError("请求的内容不存在", status=404)
    from app.masking import mask_mobile

    return ok([{**m, "mobile": mask_mobile(m["mobile"])} for m in sms.read_outbox()])
