"""H5 pages for accounts: thin views over app.accounts.service, rendered on the server."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from app.accounts import first_login, service, sms
from app.accounts.policy import current_user, login_session, logout_session, page
from app.accounts.schemas import (
    ChangePasswordIn,
    LoginCodeIn,
    LoginIn,
    RegisterCodeIn,
    RegisterIn,
    ResetCodeIn,
    ResetPasswordIn,
)
from app.api import parse_model
from app.errors import ApiError

bp = Blueprint("accounts_pages", __name__)


def _form(model, names, **extra):
    """Validate the posted form with the API's model; returns (data, error)."""
    payload = {n: request.form.get(n) for n in names}
    payload.update(extra)
    try:
        return parse_model(model, payload), None
    except ApiError as err:
        return None, err


def _safe_next(target):
    """Only same-site paths, never another host (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts_pages.account")


@bp.route("/register", methods=["GET", "POST"])
def register():
    error = None
    if request.method == "POST":
        fields = ["name", "id_number", "mobile", "gender", "password", "username", "sms_code"]
        data, error = _form(RegisterIn, fields, confirm_true=request.form.get("confirm_true") == "on",
                            consents=_accepted_consents())
        if data is not None and request.form.get("password2") != request.form.get("password"):
            data, error = None, ApiError("两次输入的密码不一致", data={"fields": {"password2": "两次输入的密码不一致"}})
        if data is not None:
            try:
                user = service.register(data, request.remote_addr)
            except ApiError as err:
                error = err
            else:
                login_session(user)
                flash("注册成功，欢迎使用！")
                return redirect(url_for("accounts_pages.account"))
    return _register_page(error)


def _accepted_consents():
    from app import consents

    return {k: v for k, v in consents.current().items() if request.form.get("consent_" + k) == "on"}


def _register_page(error=None, status=None):
    from app import consents

    status = status or (error.status if error else 200)
    return render_template("accounts/register.html", error=error, form=request.form,
                           documents=consents.DOCUMENTS), status


@bp.route("/register/code", methods=["POST"])
def register_code():
    """Send the registration code to the mobile typed in the form; the form comes back as it was."""
    data, error = _form(RegisterCodeIn, ["mobile"])
    if data is not None:
        try:
            service.request_register_code(data.mobile, request.remote_addr)
        except ApiError as err:
            error = err
        else:
            flash("验证码已发送，请注意查收")
    return _register_page(error)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        data, error = _form(LoginIn, ["username", "password"], sms_code=request.form.get("sms_code") or None)
        if data is not None:
            try:
                user = service.authenticate(data.username, data.password, request.remote_addr,
                                            sms_code=data.sms_code)
            except ApiError as err:
                if err.code == "first_login_required":
                    session["first_login"] = err.data["ticket"]
                    return redirect(url_for("accounts_pages.first_login_page", next=request.args.get("next")))
                error = err
            else:
                login_session(user)
                return redirect(_safe_next(request.args.get("next")))
    status = error.status if error else 200
    return render_template("accounts/login.html", error=error, form=request.form), status


@bp.route("/login/code", methods=["POST"])
def login_code():
    """Send a login SMS code to the account's mobile; the login form then asks for it."""
    data, error = _form(LoginCodeIn, ["username"])
    if data is not None:
        try:
            service.request_login_code(data.username, request.remote_addr)
        except ApiError as err:
            error = err
        else:
            flash("如账号存在，验证码已发送至其绑定的手机，请注意查收")
    return render_template("accounts/login.html", error=error, form=request.form, sms_mode=True), \
        error.status if error else 200


@bp.route("/first-login", methods=["GET", "POST"])
def first_login_page():
    """Bulk-registered accounts: SMS code to the listed mobile, a new password, the consents."""
    from app import consents

    ticket = session.get("first_login")
    error, sent = None, request.form.get("step") == "set"
    try:
        mobile = first_login.masked_mobile(ticket)
    except ApiError as err:
        flash(err.message)
        return redirect(url_for("accounts_pages.login"))
    if request.method == "POST":
        try:
            if request.form.get("step") == "code":
                first_login.send_code(ticket, request.remote_addr)
                flash(f"验证码已发送至 {mobile}")
                sent = True
            else:
                if request.form.get("password2") != request.form.get("password"):
                    differ = "两次输入的密码不一致"
                    raise ApiError(differ, status=422, data={"fields": {"password2": differ}})
                accepted = {k: v for k, v in consents.current().items() if request.form.get("consent_" + k) == "on"}
                user = first_login.complete(ticket, request.form.get("code"), request.form.get("password"),
                                            accepted, request.remote_addr)
                session.pop("first_login", None)
                login_session(user)
                flash("密码已设置，欢迎使用！")
                return redirect(_safe_next(request.args.get("next")))
        except ApiError as err:
            error = err
    return render_template("accounts/first_login.html", error=error, mobile=mobile, sent=sent,
                           documents=consents.DOCUMENTS, resend=current_app.config["SMS_RESEND_SECONDS"]), (
        error.status if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_session()
    flash("您已安全退出")
    return redirect(url_for("accounts_pages.login"))


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    """Step 1 sends the code, step 2 sets the new password; both on one page."""
    error, step = None, request.form.get("step", "code")
    mobile = request.form.get("mobile", "")
    if request.method == "POST" and step == "code":
        data, error = _form(ResetCodeIn, ["mobile"])
        if data is not None:
            try:
                service.request_reset_code(data.mobile, request.remote_addr)
            except ApiError as err:
                error = err
            else:
                flash("如该手机号已注册，验证码已发送，请注意查收")
                step, mobile = "reset", data.mobile
    elif request.method == "POST" and step == "reset":
        data, error = _form(ResetPasswordIn, ["mobile", "code", "password"])
        if data is not None:
            try:
                service.reset_password(data.mobile, data.code, data.password, request.remote_addr)
            except ApiError as err:
                error = err
            else:
                flash("密码已重置，请使用手机号和新密码登录")
                return redirect(url_for("accounts_pages.login", username=data.mobile))
    status = error.status if error else 200
    return render_template("accounts/forgot.html", error=error, step=step, mobile=mobile,
                           resend=current_app.config["SMS_RESEND_SECONDS"]), status


@bp.route("/account")
@page()
def account():
    from app.wechat.models import WechatIdentity

    user = current_user()
    identity = WechatIdentity.get_or_none(WechatIdentity.user == user.id, WechatIdentity.app_kind == "mp")
    bound = (identity.nickname or True) if identity else False
    return render_template("accounts/account.html", profile=service.profile(user), wechat_bound=bound)


@bp.route("/account/password", methods=["GET", "POST"])
@page()
def password():
    error = None
    if request.method == "POST":
        data, error = _form(ChangePasswordIn, ["old_password", "password"])
        if data is not None:
            try:
                user = service.change_password(current_user(), data.old_password, data.password)
            except ApiError as err:
                error = err
            else:
                login_session(user)
                flash("密码已修改")
                return redirect(url_for("accounts_pages.account"))
    return render_template("accounts/password.html", error=error), 422 if error else 200


@bp.route("/dev/sms")
def dev_outbox():
    """Development only: the SMS outbox, so a developer can read reset codes."""
    cfg = current_app.config
    if cfg["APP_ENV"] == "production" or cfg["SMS_PROVIDER"] != "outbox":
        raise ApiError("页面不存在", status=404)
    return render_template("accounts/dev_sms.html", messages=sms.read_outbox())


@bp.route("/staff")
def staff_home():
    """The old 工作台 address: the staff console replaced it."""
    return redirect(url_for("staff.home"))
