"""The console frame: each role reaches only its sections (through HTTP), roles managed and audited."""
import pytest

from app.accounts.models import User
from app.staff import audit, roles
from app.staff.frame import SECTIONS, sections_for
from app.staff.models import AuditEntry, StaffRole
from tests.learning_fixtures import make_learner
from tests.staff_fixtures import make_staff_member, text_of

# Which roles reach which of this branch's sections (administrators reach all of them).
REACH = {"roles": {"admin"}, "audit": {"admin"}, "people": {"service_desk"},
         "certificates": {"service_desk", "reviewer"}, "integrity": {"reviewer"}}


def _section_paths(app):
    with app.test_request_context():
        from flask import url_for

        return {key: url_for(s.endpoint) for key, s in SECTIONS.items() if key in REACH}


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_reaches_only_its_sections(app, role):
    member = make_staff_member(app, (role,))
    for key, path in _section_paths(app).items():
        resp = member.get(path)
        allowed = role == "admin" or role in REACH[key]
        assert resp.status_code == (200 if allowed else 403), (role, key)
        if not allowed:
            assert "您的角色无权访问此页面" in text_of(resp)
    home = member.get("/staff/")
    assert home.status_code == 200
    listed = {s.key for s in sections_for(member.user)} & set(REACH)
    assert listed == {key for key, roles_ in REACH.items() if role == "admin" or role in roles_}
    page = home.get_data(as_text=True)
    for key in REACH:
        assert (f'data-section="{key}"' in page) == (key in listed), (role, key)


def test_learners_and_roleless_staff_are_refused_anonymous_sent_to_login(app, client):
    resp = client.get("/staff/audit?actor=x")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/staff/audit")
    learner = make_learner(app, i=1)
    resp = app.test_client().get("/staff/", headers={"Authorization": f"Bearer {learner.token}"})
    assert resp.status_code == 403
    roleless = make_staff_member(app, (), i=901)
    assert roleless.get("/staff/").status_code == 403
    assert roleless.get("/staff/roles").status_code == 403


def test_old_staff_home_redirects_to_the_console(app):
    admin = make_staff_member(app)
    resp = admin.get("/staff")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/staff/"


def test_admin_grants_and_revokes_a_role_with_confirmation_and_audit(app):
    admin = make_staff_member(app, ("admin",), i=900, name="管理员甲")
    clerk = make_staff_member(app, ("service_desk",), i=902, name="客服乙")
    assert roles.staff_roles(User.get_by_id(clerk.user.id)) == {"service_desk"}

    resp = admin.post("/staff/roles/grant", {"who": "13900000902", "role": "reviewer"})
    assert resp.status_code == 302
    assert roles.staff_roles(User.get_by_id(clerk.user.id)) == {"service_desk", "reviewer"}
    entry = AuditEntry.get(AuditEntry.action == "role.grant")
    assert (entry.actor_id, entry.actor_name, entry.target_type, entry.target_id) == (
        admin.user.id, "管理员甲", "account", str(clerk.user.id))
    assert audit.loads(entry.before) == {"roles": ["service_desk"]}
    assert audit.loads(entry.after) == {"roles": ["reviewer", "service_desk"]}

    # The first post only shows what will happen.
    resp = admin.post("/staff/roles/revoke", {"user_id": clerk.user.id, "role": "service_desk"})
    assert resp.status_code == 200
    assert "撤销后的角色 审核" in text_of(resp)
    assert roles.staff_roles(User.get_by_id(clerk.user.id)) == {"service_desk", "reviewer"}
    resp = admin.post("/staff/roles/revoke", {"user_id": clerk.user.id, "role": "service_desk", "confirmed": "1"})
    assert resp.status_code == 302
    assert roles.staff_roles(User.get_by_id(clerk.user.id)) == {"reviewer"}
    entry = AuditEntry.get(AuditEntry.action == "role.revoke")
    assert audit.loads(entry.after) == {"roles": ["reviewer"]}

    # Revoking the last role makes the account a learner again: the console refuses it.
    admin.post("/staff/roles/revoke", {"user_id": clerk.user.id, "role": "reviewer", "confirmed": "1"})
    assert User.get_by_id(clerk.user.id).role == "learner"
    assert clerk.get("/staff/").status_code == 403


def test_grant_errors_are_inline_and_the_last_admin_stays(app):
    admin = make_staff_member(app, ("admin",))
    resp = admin.post("/staff/roles/grant", {"who": "13900009999", "role": "finance"})
    assert resp.status_code == 422
    assert "未找到该账号" in text_of(resp)
    resp = admin.post("/staff/roles/grant", {"who": "staff900", "role": "king"})
    assert resp.status_code == 422
    assert StaffRole.select().count() == 1
    resp = admin.post("/staff/roles/revoke", {"user_id": admin.user.id, "role": "admin", "confirmed": "1"})
    assert resp.status_code == 409
    assert roles.staff_roles(User.get_by_id(admin.user.id)) == {"admin"}
    assert AuditEntry.select().count() == 0


def test_audit_log_is_searchable_by_administrators(app):
    admin = make_staff_member(app, ("admin",), name="管理员甲")
    other = make_staff_member(app, ("finance",), i=903, name="财务丙")
    admin.post("/staff/roles/grant", {"who": "staff903", "role": "reviewer"})
    resp = admin.get(f"/staff/audit?action=role.grant&target_id={other.user.id}")
    assert resp.status_code == 200
    page = text_of(resp)
    assert "授予角色" in page and "管理员甲" in page and "共 1 条" in page
    assert "共 0 条" in text_of(admin.get("/staff/audit?actor=财务丙"))
    assert other.get("/staff/audit").status_code == 403


def test_migration_makes_existing_staff_administrators(app, engine):
    from playhouse.migrations import Runner

    from app.db import MIGRATIONS_DIR, db

    user = make_learner(app, i=5).user
    User.update(role="staff").where(User.id == user.id).execute()
    db.execute_sql('DROP TABLE "audit_entry"')
    db.execute_sql('DROP TABLE "staff_role"')
    runner = Runner(db.obj, MIGRATIONS_DIR)
    runner.History.delete().where(runner.History.name == "0007_staff_console").execute()
    runner.up()
    assert roles.staff_roles(User.get_by_id(user.id)) == {"admin"}


def test_staff_models_match_the_migrated_schema(app):
    from app.db import db

    for model in (StaffRole, AuditEntry):
        assert set(model._meta.columns) <= {c.name for c in db.get_columns(model._meta.table_name)}, model
