"""The console's frame: its navigation (sections other features register) and the access decorator.

A feature adds a section by calling `register_section(...)` when its staff views are imported and
protects each view with `@staff_required(role, ...)`; administrators reach every section.
"""
import functools
from dataclasses import dataclass

from flask import render_template, request, url_for

from app.errors import envelope
from app.staff.roles import has_role, role_title, staff_roles


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    endpoint: str
    roles: tuple
    order: int = 100


SECTIONS = {}


def register_section(key, title, endpoint, roles, order=100):
    """Add (or replace) a navigation entry reachable by `roles` (and by administrators)."""
    if isinstance(roles, str):
        roles = (roles,)
    SECTIONS[key] = Section(key, title, endpoint, tuple(roles), order)
    return SECTIONS[key]


def sections_for(account):
    """The sections this account may reach, in navigation order."""
    return [s for s in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)) if has_role(account, *s.roles)]


def _forbidden(user):
    message = "您的角色无权访问此页面"
    if request.path.startswith("/api/"):
        return envelope("forbidden", message, None, 403)
    return render_template("staff/forbidden.html", message=message, roles=sorted(staff_roles(user))), 403


def staff_required(*roles):
    """View decorator: anonymous → the login page with `next`; without one of `roles` → 403 in the console.

    With no roles given any staff role will do; administrators pass everywhere.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            from flask import redirect

            from app.accounts.policy import current_user

            user = current_user()
            if user is None:
                if request.path.startswith("/api/"):
                    return envelope("unauthorized", "请先登录", None, 401)
                return redirect(url_for("accounts_pages.login", next=request.full_path.rstrip("?")))
            if not has_role(user, *roles):
                return _forbidden(user)
            return view(*args, **kwargs)

        wrapper.staff_roles = roles
        return wrapper

    return decorator


def require_role(*roles):
    """For API handlers: the current staff member holding one of `roles` (or admin), else 401/403."""
    from app.accounts.policy import current_user
    from app.errors import ApiError

    user = current_user()
    if user is None:
        raise ApiError("请先登录", status=401)
    if not has_role(user, *roles):
        raise ApiError("您的角色无权执行此操作", status=403)
    return user


def init_app(app):
    """Templates under /staff get the navigation and the staff member's roles."""
    from app.staff.tables import local_time

    app.add_template_filter(local_time, "local_time")

    @app.context_processor
    def _console():
        if not request.path.startswith("/staff"):
            return {}
        from app.accounts.policy import current_user

        user = current_user()
        titles = [role_title(r) for r in sorted(staff_roles(user))]
        return {"staff_sections": sections_for(user), "staff_role_titles": titles, "staff_user": user}
