"""Administrators' sections: staff roles (grant, revoke) and the audit log."""
import datetime

from flask import flash, redirect, render_template, request, url_for

from app.accounts.models import User
from app.accounts.policy import current_user
from app.accounts.service import find_for_login
from app.errors import ApiError
from app.staff import audit, bp, roles
from app.staff.frame import register_section, staff_required
from app.staff.models import AuditEntry
from app.staff.tables import SHANGHAI, paginate

register_section("roles", "角色与权限", "staff.roles_page", ("admin",), order=900)
register_section("audit", "操作日志", "staff.audit_page", ("admin",), order=910)
audit.register_action("role.grant", "授予角色")
audit.register_action("role.revoke", "撤销角色")


def _member_view(user, held):
    return {"id": user.id, "name": user.name, "username": user.username or "", "active": user.is_active,
            "roles": [(r, roles.role_title(r)) for r in roles.ROLES if r in held]}


def _render_roles(error=None, form=None, status=200):
    members = [_member_view(u, held) for u, held in roles.staff_members()]
    options = [(r, roles.role_title(r)) for r in roles.ROLES]
    return render_template("staff/roles.html", members=members, options=options, error=error,
                           form=form or {}, active_section="roles"), status


@bp.route("/roles")
@staff_required("admin")
def roles_page():
    return _render_roles()


@bp.route("/roles/grant", methods=["POST"])
@staff_required("admin")
def roles_grant():
    """Grant a role to an account found by username, ID number or mobile (posted, never in a URL)."""
    who, role = request.form.get("who", "").strip()[:40], request.form.get("role", "")
    user = find_for_login(who) if who else None
    if user is None:
        message = "未找到该账号，请核对用户名、身份证号或手机号"
        err = ApiError("未找到该账号", status=422, data={"fields": {"who": message}})
        return _render_roles(err, {"role": role}, 422)
    try:
        before = sorted(roles.staff_roles(user))
        added = roles.grant(user, role, by=current_user())
    except ApiError as err:
        return _render_roles(err, {"role": role}, err.status)
    if added:
        audit.record("role.grant", "account", user.id, {"roles": before}, {"roles": sorted(roles.staff_roles(user))},
                     {"role": role})
        flash(f"已授予 {user.name} “{roles.role_title(role)}”角色")
    else:
        flash(f"{user.name} 已有“{roles.role_title(role)}”角色")
    return redirect(url_for("staff.roles_page"))


@bp.route("/roles/revoke", methods=["POST"])
@staff_required("admin")
def roles_revoke():
    """First post: a confirmation of exactly what will change; the confirmed post revokes."""
    user = User.get_or_none(User.id == _int(request.form.get("user_id")))
    role = request.form.get("role", "")
    if user is None or role not in roles.staff_roles(user):
        return _render_roles(ApiError("该账号没有这个角色", status=422), status=422)
    before = sorted(roles.staff_roles(user))
    if request.form.get("confirmed") != "1":
        after = [roles.role_title(r) for r in before if r != role]
        return render_template("staff/roles_confirm.html", user=user, role=role, title=roles.role_title(role),
                               before=[roles.role_title(r) for r in before], after=after, active_section="roles")
    try:
        roles.revoke(user, role, by=current_user())
    except ApiError as err:
        return _render_roles(err, status=err.status)
    audit.record("role.revoke", "account", user.id, {"roles": before}, {"roles": sorted(roles.staff_roles(user))},
                 {"role": role})
    flash(f"已撤销 {user.name} 的“{roles.role_title(role)}”角色")
    return redirect(url_for("staff.roles_page"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(value, days=0):
    """A China-time date (YYYY-MM-DD) as the UTC instant its day starts, shifted by `days`."""
    try:
        day = datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    start = datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time(), SHANGHAI)
    return start.astimezone(datetime.UTC).replace(tzinfo=None)


AUDIT_SORTS = {"time": AuditEntry.created_at, "actor": AuditEntry.actor_name, "action": AuditEntry.action}


@bp.route("/audit")
@staff_required("admin")
def audit_page():
    """The audit log, searchable by who, what, on what and when (no personal data in these filters)."""
    names = ("actor", "action", "target_type", "target_id", "since", "until")
    args = {k: request.args.get(k, "").strip()[:40] for k in names}
    query = audit.search(actor=args["actor"], action=args["action"], target_type=args["target_type"],
                         target_id=args["target_id"], since=_day(args["since"]), until=_day(args["until"], 1))
    page = paginate(query, AUDIT_SORTS, "time", default_desc=True, args=args)
    actions = [("", "全部")] + sorted(audit.ACTION_TITLES.items(), key=lambda kv: kv[0])
    page.items = [_entry_view(e) for e in page.items]
    return render_template("staff/audit.html", page=page, args=args, actions=actions,
                           active_section="audit")


def _entry_view(entry):
    return {"id": entry.id, "at": entry.created_at, "actor": entry.actor_name, "actor_id": entry.actor_id,
            "action": audit.action_title(entry.action), "code": entry.action,
            "target": f"{entry.target_type} {entry.target_id}",
            "before": entry.before, "after": entry.after, "detail": entry.detail, "ip": entry.ip}
