"""Initial passwords of bulk-registered accounts and the first login that replaces them (R-4).

A bulk-registered account gets the manual's initial password `edu@` + the last six characters of
its ID number. Nothing is stored for it: `password_hash` holds INITIAL (which no hasher accepts)
and `initial_password_until` the UTC time it stops working; the password is derived from the
encrypted ID number when someone logs in. Hashing it would add nothing, since anyone who knows the
ID number can work it out, and it keeps a 10,000-row import from spending minutes in argon2.

Because the initial password is guessable, it never opens a session. It starts a first login
(a ticket valid FIRST_LOGIN_TTL seconds) that needs an SMS code sent to the mobile on the unit's
list, a new password other than the initial one (stored with argon2 like every chosen password)
and the privacy consents. After BULK_INITIAL_PASSWORD_DAYS the initial password expires; the person
then sets a password through "forgot password" with the same mobile.
"""
import datetime
import hashlib
import hmac
import secrets

from flask import current_app

from app import consents
from app.accounts import passwords, rules, sms
from app.accounts.models import User
from app.db import db, utcnow
from app.errors import ApiError
from app.masking import mask_mobile
from app.redis_client import get_redis

INITIAL = "initial"
FIRST_LOGIN_TTL = 15 * 60
_PREFIX = "firstlogin:"


def initial_password(id_number):
    """The manual's initial password for an ID number."""
    return "edu@" + id_number[-6:]


def expires_at(now=None):
    return (now or utcnow()) + datetime.timedelta(days=current_app.config["BULK_INITIAL_PASSWORD_DAYS"])


def is_pending(user):
    return user is not None and user.password_hash == INITIAL


def check(user, password, now=None):
    """For a pending account: "ok", "expired" or "wrong" (costs one dummy hash like a real check)."""
    from app.accounts.service import id_number_of

    passwords.verify_password(None, password)  # the same time as a real account's check
    right = hmac.compare_digest(initial_password(id_number_of(user)).encode(), (password or "").encode())
    if not right:
        return "wrong"
    until = user.initial_password_until
    return "ok" if until is not None and (now or utcnow()) < until else "expired"


def _key(ticket):
    return _PREFIX + hashlib.sha256(ticket.encode()).hexdigest()


def start(user):
    """The error a login with the initial password answers: go on with the ticket (no session yet)."""
    from app.accounts.service import mobile_of

    ticket = secrets.token_urlsafe(24)
    get_redis().set(_key(ticket), str(user.id), ex=FIRST_LOGIN_TTL)
    return ApiError("首次登录请验证手机号并设置新密码", code="first_login_required", status=403,
                    data={"ticket": ticket, "mobile": mask_mobile(mobile_of(user)), "consents": consents.current()})


def _user(ticket):
    uid = get_redis().get(_key(ticket or "")) if ticket else None
    user = User.get_or_none(User.id == int(uid)) if uid else None
    if user is None or not is_pending(user) or not user.is_active:
        raise ApiError("首次登录已超时，请重新使用初始密码登录", code="first_login_expired", status=410)
    return user


def masked_mobile(ticket):
    from app.accounts.service import mobile_of

    return mask_mobile(mobile_of(_user(ticket)))


def send_code(ticket, ip):
    """Send the SMS code to the mobile on the unit's list."""
    from app.accounts.service import mobile_of, record_event

    user = _user(ticket)
    mobile = mobile_of(user)
    sms.check_send_limits(mobile, ip, "first_login")
    sms.issue_code("first_login", mobile)
    record_event("first_login_code_sent", user, ip)


def complete(ticket, code, new_password, accepted, ip):
    """Check the code, the new password and the consents; store them; returns the account."""
    from app.accounts.policy import forget_session_version
    from app.accounts.service import id_number_of, mobile_of, record_event

    user = _user(ticket)
    try:
        new_password = rules.clean_password(new_password)
    except ValueError as exc:
        raise ApiError(str(exc), status=422, data={"fields": {"password": str(exc)}}) from None
    if new_password == initial_password(id_number_of(user)):
        same = "新密码不能与初始密码相同"
        raise ApiError(same, status=422, data={"fields": {"password": same}})
    consents.require(accepted)
    sms.verify_code("first_login", mobile_of(user), code)
    with db.atomic():
        done = User.update(password_hash=passwords.hash_password(new_password), initial_password_until=None,
                           updated_at=utcnow(), last_login_at=utcnow(),
                           session_version=User.session_version + 1).where(
            User.id == user.id, User.password_hash == INITIAL).execute()
        if not done:  # a concurrent completion won
            raise ApiError("首次登录已完成，请使用新密码登录", status=409)
        consents.record(user, accepted, ip)
        record_event("first_login_done", user, ip)
    get_redis().delete(_key(ticket))
    forget_session_version(user.id)
    return User.get_by_id(user.id)
