"""Who is asking, and may they: the one place where access is decided.

The H5 pages authenticate with the Redis session cookie, the mini-program with a bearer token.
"""
import functools
import hashlib
import secrets
import time

from flask import current_app, g, redirect, request, session, url_for

from app.accounts import throttle
from app.errors import ApiError
from app.redis_client import get_redis
from app.security import SESSION_PREFIX, bearer_token

TOKEN_PREFIX = "tok:"
# Called with the user after every session login (e.g. binding a WeChat identity met before login).
AFTER_LOGIN = []


_token_keys = {}  # bearer token -> its Redis key: each worker hashes a token once (heartbeats repeat it)


def token_key(token):
    key = _token_keys.get(token)
    if key is None:
        if len(_token_keys) > 10000:
            _token_keys.clear()
        key = _token_keys[token] = TOKEN_PREFIX + hashlib.sha256(token.encode()).hexdigest()
    return key


def issue_token(user):
    """A bearer token for the mini-program (stored hashed in Redis)."""
    token = secrets.token_urlsafe(32)
    get_redis().set(token_key(token), f"{user.id}:{user.session_version}",
                    ex=current_app.config["API_TOKEN_LIFETIME"])
    return token


def token_reference(token):
    """The token's "uid:version" as stored in Redis, or None."""
    return get_redis().get(token_key(token))


def revoke_token(token):
    get_redis().delete(token_key(token))


def _bearer():
    return bearer_token()


def current_user():
    """The logged-in, active user of this request, or None."""
    if "user" in g:
        return g.user
    from app.accounts.models import User

    user = None
    token = _bearer()
    if token:
        ref = token_reference(token)
        uid, _, version = (ref or "").partition(":")
    else:
        uid, version = session.get("uid"), session.get("ver")
    if uid:
        user = User.get_or_none(User.id == int(uid))
        if user is not None and (not user.is_active or str(user.session_version) != str(version)):
            user = None
    g.user = user
    return user


VERSION_PREFIX = "uver:"  # also read by app/learning/heartbeat.lua


def session_version_of(uid):
    """The account's session version, cached in Redis (None when the account is gone or disabled)."""
    from app.accounts.models import User

    r = get_redis()
    cached = r.get(VERSION_PREFIX + str(uid))
    if cached is not None:
        return None if cached == "off" else cached
    user = User.get_or_none(User.id == int(uid))
    value = str(user.session_version) if user is not None and user.is_active else "off"
    r.set(VERSION_PREFIX + str(uid), value, ex=3600)
    return None if value == "off" else value


def forget_session_version(uid):
    """Call when session_version or is_active changes: older sessions and tokens stop at once."""
    with get_redis().pipeline(transaction=False) as pipe:
        pipe.delete(VERSION_PREFIX + str(uid))
        pipe.set(PROFILE_PREFIX + str(uid), PROFILE_STALE, ex=PROFILE_TTL)
        pipe.execute()


# The profile /me answers, cached per account (app/accounts/profile_cache.py).
PROFILE_PREFIX = "prof:"
PROFILE_STALE = "-"  # a tombstone, not a deletion: a reader filling the entry under WATCH notices it
PROFILE_TTL = 3600


def forget_profile(uid):
    """Call after any change to what /me shows (name, numbers, gender, role, last login)."""
    get_redis().set(PROFILE_PREFIX + str(uid), PROFILE_STALE, ex=PROFILE_TTL)


_recent_versions = {}  # uid -> (version, checked at): this worker's short memory for hot paths
_recent_tokens = {}  # token key -> ("uid:version", checked at)
RECENT_SECONDS = 3
UNKNOWN = object()  # nothing remembered (None is a remembered answer: a disabled account)


def _remembered(memory, name, now):
    """What this worker checked within RECENT_SECONDS under `name`, or UNKNOWN."""
    hit = memory.get(name)
    return hit[0] if hit is not None and now - hit[1] < RECENT_SECONDS else UNKNOWN


def _remember(memory, name, value, now):
    if len(memory) > 10000:
        memory.clear()
    memory[name] = (value, now)


def _recent_version(uid):
    """session_version_of, remembered for a few seconds in this process (saves a round trip on hot paths)."""
    now = time.monotonic()
    version = _remembered(_recent_versions, uid, now)
    if version is UNKNOWN:
        version = session_version_of(uid)
        _remember(_recent_versions, uid, version, now)
    return version


def _recent_token(token):
    """The token's "uid:version", remembered for a few seconds in this process (logout reaches it then)."""
    key, now = token_key(token), time.monotonic()
    ref = _remembered(_recent_tokens, key, now)
    if ref is UNKNOWN:
        ref = get_redis().get(key) or ""
        _remember(_recent_tokens, key, ref, now)
    return ref


def current_user_id():
    """The logged-in user's id without reading the account row (hot paths; heartbeats check the same rules
    in heartbeat.lua, see heartbeat_identity).

    A logout, a password change or a disabled account reaches this path within RECENT_SECONDS.
    """
    if "user" in g:
        return g.user.id if g.user is not None else None
    token = _bearer()
    if token:
        uid, _, version = _recent_token(token).partition(":")
    else:
        uid, version = session.get("uid"), session.get("ver")
    if not uid or _recent_version(str(uid)) != str(version):
        return None
    return int(uid)


def heartbeat_identity():
    """The heartbeat's learner as far as this worker knows without Redis (current_user_id's rules).

    Returns (uid, credential key, version): (uid, "", "") when this worker checked the learner within
    RECENT_SECONDS; ("", key of the bearer token or of the browser session, "") or (uid, "", version)
    when heartbeat.lua is to check the credentials in the heartbeat's own round trip (a browser session
    this request has not read is read there, not here); 401 when the request carries none (or ones this
    worker knows to be refused).
    """
    if "user" in g:
        if g.user is None:
            raise ApiError("请先登录", status=401)
        return g.user.id, "", ""
    now = time.monotonic()
    token = _bearer()
    browser = None if token else session._get_current_object()
    if token or (browser.sid and not browser.loaded):
        key = token_key(token) if token else SESSION_PREFIX + browser.sid
        ref = _remembered(_recent_tokens, key, now)
        if ref is UNKNOWN:
            return "", key, ""
        uid, _, version = ref.partition(":")
    else:
        uid, version = browser.get("uid"), browser.get("ver")
    if not uid:
        raise ApiError("请先登录", status=401)
    known = _remembered(_recent_versions, str(uid), now)
    if known is UNKNOWN:
        return int(uid), "", str(version)
    if known != str(version):
        raise ApiError("请先登录", status=401)
    return int(uid), "", ""


def remember_identity(uid, version, key=""):
    """What heartbeat.lua found valid: this worker remembers it as _recent_token and _recent_version do."""
    now = time.monotonic()
    if key:
        _remember(_recent_tokens, key, f"{uid}:{version}", now)
    _remember(_recent_versions, str(uid), version, now)


def require_user_id():
    uid = current_user_id()
    if uid is None:
        raise ApiError("请先登录", status=401)
    return uid


def forget_user():
    """Start each request without a cached user (an outer app context may outlive a request)."""
    g.pop("user", None)


def login_session(user):
    """Log the user in on this browser session (new session id against fixation)."""
    session.regenerate()
    session["uid"] = user.id
    session["ver"] = user.session_version
    g.user = user
    throttle.remember_device(user.id)  # this browser proved it is the person: a known device from now on
    for hook in AFTER_LOGIN:
        hook(user)


def logout_session():
    token = _bearer()
    if token:
        revoke_token(token)
    session.clear()
    g.user = None


def require(level):
    """Raise unless the current request meets `level`: None, 'user' or 'staff'."""
    if level is None:
        return None
    user = current_user()
    if user is None:
        raise ApiError("请先登录", status=401)
    if level == "staff" and not user.is_staff:
        raise ApiError("仅限工作人员访问", status=403)
    return user


def require_owner(obj, owner_field="user_id"):
    """Every learner-owned object refuses other learners (staff may look)."""
    user = require("user")
    if getattr(obj, owner_field) != user.id and not user.is_staff:
        raise ApiError("请求的内容不存在", status=404)  # do not reveal that it exists
    return obj


def page(level="user"):
    """Decorator for H5 pages: send anonymous visitors to the login page, refuse learners on staff pages."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if current_user() is None:
                return redirect(url_for("accounts_pages.login", next=request.full_path))
            require(level)
            return view(*args, **kwargs)

        return wrapper

    return decorator
