"""Staff members for console tests: real accounts with real roles, logged in with a cookie session.

`make_staff_member(app, roles)` returns a `Console` client whose posts carry the session's CSRF
token, as the console's forms do. Other features' staff tests use it too.
"""
import re

from app.accounts import rules, service
from app.staff import roles as staff_roles
from tests.learning_fixtures import PASSWORD, make_id


class Console:
    """A browser-like client of the console: a cookie session, forms posted with their CSRF token."""

    def __init__(self, app, user, username):
        self.app, self.user = app, user
        self.client = app.test_client()
        resp = self.client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        self.csrf = self.client.get("/api/v1/auth/csrf").get_json()["data"]["csrf_token"]

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, **kw):
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)


def make_staff_member(app, roles=("admin",), i=900, name=None):
    """A staff account holding `roles` (an empty tuple: an account marked staff without any role)."""
    id_number = make_id(i)
    user = service.create_user(name=name or f"职员{i}", id_number=id_number, mobile=f"139{i:08d}",
                               gender=rules.id_gender(id_number), password=PASSWORD, username=f"staff{i}",
                               role="staff")
    for role in roles:
        staff_roles.grant(user, role)
    return Console(app, user, f"staff{i}")


def text_of(resp):
    """A page's visible text, roughly (tags removed), for assertions on what staff see."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))
