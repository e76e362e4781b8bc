"""Staff roles: who may reach which part of the console (least privilege; admin reaches everything).

An account is staff when it holds at least one role; Account.role mirrors that ("staff" or
"learner") for the older checks of the API (`auth="staff"`).
"""
import peewee

from app.accounts.policy import forget_profile
from app.db import db
from app.errors import ApiError

ROLES = ("service_desk", "finance", "reviewer", "content_editor", "admin")
ROLE_TITLES = {"service_desk": "客服", "finance": "财务", "reviewer": "审核", "content_editor": "内容编辑",
               "admin": "管理员"}


def staff_roles(account):
    """The roles an active staff account holds (empty for learners, disabled or missing accounts)."""
    from app.staff.models import StaffRole

    if account is None or not account.is_active or account.role != "staff":
        return set()
    cached = getattr(account, "_staff_roles", None)
    if cached is None:
        cached = {r.role for r in StaffRole.select(StaffRole.role).where(StaffRole.user == account.id)}
        account._staff_roles = cached
    return set(cached)


def has_role(account, *roles):
    """True when the account holds any of `roles`, or is an administrator (any role if none given)."""
    held = staff_roles(account)
    if "admin" in held:
        return True
    return bool(held & set(roles)) if roles else bool(held)


def role_title(role):
    return ROLE_TITLES.get(role, role)


def clean_role(role):
    if role not in ROLES:
        raise ApiError("没有这个角色", status=422, data={"fields": {"role": "请选择有效的角色"}})
    return role


def grant(account, role, by=None):
    """Give `account` the role (idempotent); the account becomes staff. Returns True if it was new."""
    from app.staff.models import StaffRole

    clean_role(role)
    with db.atomic():
        try:
            with db.atomic():
                StaffRole.create(user=account.id, role=role, granted_by=getattr(by, "id", by))
            added = True
        except peewee.IntegrityError:
            added = False
        if account.role != "staff":
            account.role = "staff"
            account.save(only=["role"])
    forget_profile(account.id)  # /me shows the role
    account._staff_roles = None
    return added


def revoke(account, role, by=None):
    """Take the role away; without roles left the account is a learner again. Returns True if held.

    An administrator cannot take the last administrator role away (someone must manage roles).
    """
    from app.staff.models import StaffRole

    clean_role(role)
    with db.atomic():
        if role == "admin" and _last_admin(account):
            raise ApiError("不能撤销最后一位管理员的管理员角色", status=409)
        removed = StaffRole.delete().where(StaffRole.user == account.id, StaffRole.role == role).execute()
        if not StaffRole.select().where(StaffRole.user == account.id).exists() and account.role == "staff":
            account.role = "learner"
            account.save(only=["role"])
    forget_profile(account.id)  # /me shows the role
    account._staff_roles = None
    return bool(removed)


def _last_admin(account):
    from app.accounts.models import User
    from app.staff.models import StaffRole

    admins = (StaffRole.select(StaffRole.user).join(User, on=(StaffRole.user == User.id))
              .where(StaffRole.role == "admin", User.is_active == True))  # noqa: E712
    ids = {a.user_id for a in admins}
    return ids == {account.id}


def staff_members():
    """Every staff account with its roles, by name."""
    from app.accounts.models import User
    from app.staff.models import StaffRole

    members = {}
    rows = (StaffRole.select(StaffRole, User).join(User, on=(StaffRole.user == User.id))
            .order_by(User.name, User.id))
    for row in rows:
        members.setdefault(row.user.id, (row.user, set()))[1].add(row.role)
    return list(members.values())
