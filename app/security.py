"""Server-side sessions in Redis, CSRF protection, and security headers."""
import json
import secrets

from flask import current_app, request, session
from flask.sessions import SessionInterface, SessionMixin

from app.errors import ApiError

SESSION_PREFIX = "sess:"


class RedisSession(SessionMixin):
    """A browser session's data, read from Redis the first time the request uses it: a request that never
    looks (a heartbeat, whose script in Redis reads the session itself) costs no round trip for it."""

    def __init__(self, initial=None, sid=None, load=None):
        self._data = None if load is not None else dict(initial or {})
        self._load = load
        self.sid = sid
        self.modified = False
        self.discarded_sid = None

    @property
    def loaded(self):
        return self._data is not None

    def _items(self):
        if self._data is None:
            raw, self._load = self._load(), None
            if raw is None:
                self.sid, self._data = None, {}  # expired or never ours: an id the client chose is never adopted
            else:
                self._data = json.loads(raw)
        return self._data

    def __getitem__(self, key):
        return self._items()[key]

    def __setitem__(self, key, value):
        self._items()[key] = value
        self.modified = True

    def __delitem__(self, key):
        del self._items()[key]
        self.modified = True

    def __iter__(self):
        return iter(self._items())

    def __len__(self):
        return len(self._items())

    def regenerate(self):
        """New id for the same data: called at login against session fixation."""
        self._items()
        self.discarded_sid, self.sid = self.sid, None
        self.modified = True


def session_cookie(request, name):
    """The cookie `name` as request.cookies reads it, found without parsing every cookie of the request
    (werkzeug's parse costs ~6 µs, on every H5 request). A header with what werkzeug reads its own way (quotes,
    tabs, text beyond ASCII, a value with a space) goes to werkzeug; tests/test_security.py holds the two alike."""
    header = request.environ.get("HTTP_COOKIE") or ""
    if header.isascii() and '"' not in header and "\t" not in header:
        for part in header.split(";"):
            key, _, value = part.partition("=")
            if key.strip(" ") == name:  # werkzeug trims spaces (and tabs) only, not str.strip's other blanks
                value = value.strip(" ")
                if " " in value:
                    break
                return value
        else:
            return None
    return request.cookies.get(name)


class RedisSessionInterface(SessionInterface):
    """The cookie holds only a random id; the data lives in Redis for SESSION_LIFETIME."""

    def open_session(self, app, request):
        sid = session_cookie(request, app.config["SESSION_COOKIE_NAME"])
        if sid and len(sid) < 100:
            return RedisSession(sid=sid, load=lambda: app.extensions["redis"].get(SESSION_PREFIX + sid))
        return RedisSession()

    def save_session(self, app, sess, response):
        r = app.extensions["redis"]
        name = app.config["SESSION_COOKIE_NAME"]
        if sess.discarded_sid:
            r.delete(SESSION_PREFIX + sess.discarded_sid)
        if not sess.loaded:
            return  # neither read nor changed by this request
        if not sess:
            if sess.sid:
                r.delete(SESSION_PREFIX + sess.sid)
                response.delete_cookie(name, path="/")
            return
        if not sess.modified and sess.sid:
            return
        if not sess.sid:
            sess.sid = secrets.token_urlsafe(32)
        lifetime = app.config["SESSION_LIFETIME"]
        r.set(SESSION_PREFIX + sess.sid, json.dumps(dict(sess)), ex=lifetime)
        response.set_cookie(name, sess.sid, max_age=lifetime, path="/", httponly=True,
                            secure=app.config["SESSION_COOKIE_SECURE"], samesite="Lax")


def bearer_token():
    """The request's bearer token, or None: the one reading that login and the CSRF check share."""
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # request.headers' own source, read directly
    return (header[7:].strip() or None) if header.startswith("Bearer ") else None


def csrf_token():
    """The session's CSRF token, made on first use (templates call this)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def csrf_exempt(view):
    """Mark a view (a signed webhook from WeChat, say) as not needing a CSRF token."""
    view.csrf_exempt = True
    return view


def large_body(limit):
    """Let a form page accept a body up to `limit` bytes (an upload); the CSRF check reads the form first."""

    def mark(view):
        view.max_body = limit
        return view

    return mark


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "max_body", None):
        request.max_content_length = view.max_body
    if view is None or getattr(view, "csrf_exempt", False):
        return
    is_api = request.path.startswith("/api/")
    if is_api and bearer_token():
        return  # token clients send no ambient credentials (and then the cookie is not read at all)
    has_cookie = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    if is_api and not has_cookie:
        return  # nothing ambient to forge with
    sent = request.headers.get("X-CSRF-Token") or (request.form.get("csrf_token") if not is_api else None)
    expected = session.get("csrf")
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise ApiError("页面已过期，请刷新后重试", code="csrf_failed", status=400)


_FIXED_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                  ("Referrer-Policy", "same-origin"))


def _headers(response):
    """The security headers a view did not set itself (one pass over the headers: every response pays this)."""
    h = response.headers
    present = {name.lower() for name, _ in h}
    app = current_app._get_current_object()
    for name, value in _FIXED_HEADERS:
        if name.lower() not in present:
            h.add(name, value)
    if "content-security-policy" not in present:
        h.add("Content-Security-Policy", app.extensions["csp"])
    if app.config["SESSION_COOKIE_SECURE"] and "strict-transport-security" not in present:
        h.add("Strict-Transport-Security", "max-age=31536000")
    if "cache-control" not in present and response.mimetype in ("text/html", "application/json"):
        h.add("Cache-Control", "no-store")
    return response


def content_security_policy(config):
    """Same-origin everything; forms may also lead (through redirects) to WeChat's OAuth page."""
    from urllib.parse import urlsplit

    oauth = urlsplit(config.get("WECHAT_OPEN_BASE") or "")
    oauth_origin = f" {oauth.scheme}://{oauth.netloc}" if oauth.netloc else ""
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"media-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'{oauth_origin}")


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refuse_nul():
    """NUL in a path, query or form value: PostgreSQL cannot store it, and no real input has it."""
    values = [request.path, *request.args.values()]
    # Page forms only (API bodies are checked as they are parsed); an upload page's own limit first.
    if not request.path.startswith("/api/") and request.mimetype in FORM_TYPES:
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "max_body", None):
            request.max_content_length = view.max_body
        values.extend(request.form.values())
    if any("\x00" in v for v in values):
        raise ApiError("提交的内容含有不允许的控制字符", status=400)


def init_app(app):
    app.extensions["csp"] = content_security_policy(app.config)
    app.session_interface = RedisSessionInterface()
    app.before_request(_refuse_nul)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
