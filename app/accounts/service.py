"""Account rules as plain functions: register, find, authenticate, reset and change passwords."""
import logging

import peewee
from flask import current_app

from app import ratelimit
from app.accounts import first_login, passwords, rules, sms, throttle
from app.accounts.models import AuthEvent, User
from app.accounts.policy import forget_profile
from app.db import db, utcnow
from app.errors import ApiError
from app.masking import mask_id, mask_mobile
from app.pii import cipher

log = logging.getLogger(__name__)


def _conflict(field, message):
    return ApiError(message, code="conflict", status=409, data={"fields": {field: message}})


def find_by_id_number(id_number):
    return User.get_or_none(User.id_number_hash.in_(cipher().all_indexes(id_number, "id_number")))


def find_by_mobile(mobile):
    return User.get_or_none(User.mobile_hash.in_(cipher().all_indexes(mobile, "mobile")))


def find_for_login(identifier):
    """Resolve what a person typed as username: an ID number, a mobile or a custom username."""
    ident = (identifier or "").strip()
    try:
        return find_by_id_number(rules.clean_id_number(ident))
    except ValueError:
        pass
    try:
        return find_by_mobile(rules.clean_mobile(ident))
    except ValueError:
        pass
    return User.get_or_none(User.username == ident) if ident else None


def _pii_columns(id_number, mobile):
    c = cipher()
    return {"id_number_enc": c.encrypt(id_number, "id_number"), "id_number_hash": c.index(id_number, "id_number"),
            "mobile_enc": c.encrypt(mobile, "mobile"), "mobile_hash": c.index(mobile, "mobile"),
            "pii_key_id": c.primary}


def _check_gender(id_number, gender):
    if id_number and rules.id_gender(id_number) != gender:
        raise ApiError("性别与身份证号不一致，请核对", status=422,
                       data={"fields": {"gender": "性别与身份证号不一致"}})


def create_user(*, name, id_number, mobile, gender, password, username=None, role="learner"):
    """Insert one account from already-cleaned values; duplicates become 409 with the field."""
    _check_gender(id_number, gender)
    with db.atomic():
        if find_by_id_number(id_number):
            raise _conflict("id_number", "该身份证号已注册，请直接登录或找回密码；如不是本人注册的，"
                                         "请致电客服申诉，核实身份后为您找回账号")
        if find_by_mobile(mobile):
            raise _conflict("mobile", "该手机号已被其他账号使用")
        if username and User.select().where(User.username == username).exists():
            raise _conflict("username", "该用户名已被使用")
        try:
            user = User.create(name=name, gender=gender, username=username, role=role,
                               password_hash=passwords.hash_password(password),
                               **_pii_columns(id_number, mobile))
        except peewee.IntegrityError:  # a concurrent registration won the race
            raise _conflict("id_number", "该身份证号或手机号已注册") from None
    log.info("account %s registered (%s)", user.id, role)
    return user


def request_register_code(mobile, ip):
    """Registration proves the mobile first. A mobile already registered gets a notice, not a code, and the
    answer to the caller is the same either way (nobody learns whether a number is registered)."""
    registration_throttle(ip)
    sms.check_send_limits(mobile, ip, "register")
    if find_by_mobile(mobile) is None:
        sms.issue_code("register", mobile)
    else:
        sms.notify(mobile, "【继续教育】该手机号已注册平台账号，可直接登录；忘记密码请在登录页“忘记密码”找回。"
                           "如非本人操作请忽略。")


def registration_throttle(ip):
    """At most REGISTER_IP_HOURLY_LIMIT registration steps an hour from one network address."""
    count, left = ratelimit.hit(f"register:ip:{ratelimit.opaque(ip)}", 3600)
    if count > current_app.config["REGISTER_IP_HOURLY_LIMIT"]:
        raise ApiError(f"该网络注册过于频繁，请 {ratelimit.minutes(left)} 分钟后再试", status=429)


def register(data, ip=""):
    """R-1: a learner registers with the data printed on the certificate, a proven mobile and the consents."""
    from app import consents

    registration_throttle(ip)
    consents.require(data.consents)
    _check_gender(data.id_number, data.gender)  # before the code is used up
    sms.verify_code("register", data.mobile, data.sms_code)
    with db.atomic():
        user = create_user(name=data.name, id_number=data.id_number, mobile=data.mobile, gender=data.gender,
                           password=data.password, username=data.username)
        consents.record(user, data.consents, ip)
    record_event("registered", user, ip)
    return user


def id_number_of(user):
    return cipher().decrypt(user.id_number_enc, "id_number")


def mobile_of(user):
    return cipher().decrypt(user.mobile_enc, "mobile")


def profile(user, reveal=False):
    """What a page or the API shows about an account: personal data masked unless revealed."""
    id_number, mobile = id_number_of(user), mobile_of(user)
    return {
        "id": user.id, "name": user.name, "gender": user.gender,
        "username": user.username or (id_number if reveal else mask_id(id_number)),
        "id_number": id_number if reveal else mask_id(id_number),
        "mobile": mobile if reveal else mask_mobile(mobile),
        "role": user.role, "created_at": user.created_at.isoformat() + "Z",
        "last_login_at": user.last_login_at.isoformat() + "Z" if user.last_login_at else None,
    }


def record_event(kind, user=None, ip="", detail=""):
    AuthEvent.create(user=user, kind=kind, ip=(ip or "")[:64], detail=detail[:200])


def authenticate(identifier, password, ip, sms_code=None):
    """Password login, throttled by app.accounts.throttle (growing waits, known devices, SMS codes)."""
    user = find_for_login(identifier)
    account = user.id if user else ratelimit.opaque((identifier or "").strip())
    trusted = user is not None and throttle.known_device(user.id)
    sms_ok = bool(sms_code) and user is not None and _login_code_ok(user, sms_code)
    throttle.check(account, ip, trusted_device=trusted, sms_verified=sms_ok)
    if first_login.is_pending(user):
        verdict = first_login.check(user, password)
        if verdict == "expired" and user.is_active:
            raise ApiError("初始密码已过期，请通过“忘记密码”用单位名单上的手机号设置新密码",
                           code="initial_password_expired", status=401, data={"can_reset": True})
        ok = verdict == "ok"
    else:
        ok = passwords.verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.is_active:
        left = throttle.failed(account, ip, trusted_device=trusted)
        if user:
            record_event("login_failed", user, ip)
        if left == 0 and not sms_ok:
            if user:
                record_event("locked", user, ip)
            throttle.check(account, ip, trusted_device=trusted)  # says how long to wait and what else to do
        message = f"用户名或密码错误（还可尝试 {left} 次）" if left else "用户名或密码错误"
        raise ApiError(message, code="bad_credentials", status=401,
                       data={"can_reset": True, "can_sms": True, "attempts_left": left or 0})
    throttle.succeeded(account, ip)
    if first_login.is_pending(user):
        record_event("first_login_started", user, ip)
        raise first_login.start(user)
    throttle.remember_device(user.id)
    with db.atomic():
        changes = {User.last_login_at: utcnow()}
        if passwords.needs_rehash(user.password_hash):
            changes[User.password_hash] = passwords.hash_password(password)
        User.update(changes).where(User.id == user.id).execute()
        record_event("login", user, ip)
    forget_profile(user.id)  # /me shows the last login
    return User.get_by_id(user.id)


def _login_code_ok(user, code):
    try:
        return sms.verify_code("login", mobile_of(user), code)
    except ApiError:
        return False


def request_login_code(identifier, ip):
    """An SMS code to the account's own mobile that lets a correct password through any throttle."""
    sms.check_send_limits((identifier or "").strip(), ip, "login")  # before the lookup: one answer for all
    user = find_for_login(identifier)
    if user is None or not user.is_active:
        return
    sms.issue_code("login", mobile_of(user))
    record_event("login_code_sent", user, ip)


def request_reset_code(mobile, ip):
    """Send a reset code if the mobile belongs to an account; the answer is the same either way."""
    sms.check_send_limits(mobile, ip, "reset_password")
    user = find_by_mobile(mobile)
    if user is not None and user.is_active:
        sms.issue_code("reset_password", mobile)
        record_event("reset_code_sent", user, ip)


def reset_password(mobile, code, new_password, ip):
    """Check the SMS code, set the new password, and end every other session and token."""
    sms.verify_code("reset_password", mobile, code)
    user = find_by_mobile(mobile)
    if user is None:
        raise ApiError("该手机号未注册", status=404)
    _set_password(user, new_password)
    throttle.succeeded(user.id, ip)
    record_event("password_reset", user, ip)
    return User.get_by_id(user.id)


def change_password(user, old_password, new_password):
    if not passwords.verify_password(user.password_hash, old_password or ""):
        raise ApiError("原密码不正确", status=422, data={"fields": {"old_password": "原密码不正确"}})
    _set_password(user, new_password)
    return User.get_by_id(user.id)


def _set_password(user, password):
    from app.accounts.policy import forget_session_version

    with db.atomic():
        User.update(password_hash=passwords.hash_password(password), updated_at=utcnow(), initial_password_until=None,
                    session_version=User.session_version + 1).where(User.id == user.id).execute()
    forget_session_version(user.id)


def rotate_pii_keys(batch=500):
    """Re-encrypt and re-index every account not yet under the primary key; returns the count."""
    c = cipher()
    done = 0
    while True:
        rows = list(User.select().where(User.pii_key_id != c.primary).limit(batch))
        if not rows:
            return done
        with db.atomic():
            for user in rows:
                cols = _pii_columns(id_number_of(user), mobile_of(user))
                User.update(**cols).where(User.id == user.id).execute()
                done += 1  # the cached /me profile holds the same plain values: it stays valid
