"""Certificates and suspicious learning in the console: search, revoke and re-issue with a reason."""
from app.certs.models import Certificate
from app.learning.models import LearningEvent
from app.staff import audit
from app.staff.models import AuditEntry
from tests.certs_fixtures import finished_learner, issued
from tests.learning_fixtures import make_learner
from tests.staff_fixtures import make_staff_member, text_of


def _certificate(app, i=20):
    make_learner(app, i=i)
    user, project = finished_learner(f"学员{i}")
    return issued(user, project)


def test_search_by_number_name_or_posted_id_number(app):
    desk = make_staff_member(app, ("service_desk",))
    cert = _certificate(app)
    assert cert.number in text_of(desk.get(f"/staff/certificates?number={cert.number[:8]}"))
    assert cert.number in text_of(desk.get("/staff/certificates?name=学员20"))
    assert "共 0 条" in text_of(desk.get("/staff/certificates?name=nobody"))
    resp = desk.post("/staff/certificates", {"learner": "13700000020", "number": "", "status": ""})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/staff/certificates?user={cert.user_id}"  # the account id, not the mobile
    assert cert.number in text_of(desk.get(resp.headers["Location"]))
    resp = desk.post("/staff/certificates", {"learner": "13700009999"})
    assert resp.headers["Location"] == "/staff/certificates"
    assert "没有找到该身份证号或手机号对应的学员" in text_of(desk.get("/staff/certificates"))


def test_revoke_with_confirmation_and_reason(app):
    reviewer = make_staff_member(app, ("reviewer",), name="审核甲")
    cert = _certificate(app)
    path = f"/staff/certificates/{cert.number}/revoke"
    resp = reviewer.post(path)
    assert resp.status_code == 200 and "证书立即失效" in text_of(resp)
    assert Certificate.get_by_id(cert.id).status == "valid"
    resp = reviewer.post(path, {"confirmed": "1", "reason": "  "})
    assert resp.status_code == 422 and "请填写撤销原因" in text_of(resp)
    assert Certificate.get_by_id(cert.id).status == "valid"
    resp = reviewer.post(path, {"confirmed": "1", "reason": "学时记录造假"})
    assert resp.status_code == 302
    revoked = Certificate.get_by_id(cert.id)
    assert (revoked.status, revoked.revoke_reason) == ("revoked", "学时记录造假")
    [entry] = AuditEntry.select().where(AuditEntry.action == "certificate.revoke")
    assert (entry.actor_name, entry.target_id) == ("审核甲", cert.number)
    assert audit.loads(entry.before) == {"status": "valid"} and audit.loads(entry.after)["status"] == "revoked"
    assert audit.loads(entry.detail) == {"reason": "学时记录造假"}
    resp = reviewer.post(path, {"confirmed": "1", "reason": "again"})
    assert resp.status_code == 409 and "不能撤销" in text_of(resp)


def test_reissue_with_reason_and_the_chain_is_shown(app):
    reviewer = make_staff_member(app, ("reviewer",))
    cert = _certificate(app)
    resp = reviewer.post(f"/staff/certificates/{cert.number}/reissue", {"confirmed": "1", "reason": "单位名称变更"})
    assert resp.status_code == 302
    new = Certificate.get_by_id(Certificate.get_by_id(cert.id).replaced_by_id)
    assert resp.headers["Location"] == f"/staff/certificates/{new.number}"
    page = text_of(reviewer.get(resp.headers["Location"]))
    assert cert.number in page and new.number in page and "已换发" in page
    [entry] = AuditEntry.select().where(AuditEntry.action == "certificate.reissue")
    assert audit.loads(entry.after)["number"] == new.number and audit.loads(entry.detail) == {"reason": "单位名称变更"}


def test_mistyped_number_is_an_inline_message_and_service_desk_cannot_revoke(app):
    desk = make_staff_member(app, ("service_desk",))
    cert = _certificate(app)
    resp = desk.get("/staff/certificates/CE2026-XXXX")
    assert resp.status_code == 404 and "请核对" in text_of(resp) and "后台导航" in resp.get_data(as_text=True)
    assert desk.post(f"/staff/certificates/{cert.number}/revoke", {"confirmed": "1", "reason": "x"}).status_code == 403
    assert Certificate.get_by_id(cert.id).status == "valid"


def test_suspicious_learning_ranks_and_drills_down(app):
    reviewer = make_staff_member(app, ("reviewer",))
    calm, busy = make_learner(app, i=21).user, make_learner(app, i=22).user
    LearningEvent.create(user=calm.id, reason="too_fast")
    for reason in ["replay", "out_of_order", "prompt_wrong", "too_fast", "prompt_passed"]:
        LearningEvent.create(user=busy.id, reason=reason)
    resp = reviewer.get("/staff/integrity")
    assert resp.status_code == 200
    page = text_of(resp)
    assert page.index("学员22") < page.index("学员21")
    assert "学员22 2 1 1 9" in page  # refused 2, clamped 1, failed 1, score 2*3 + 1*2 + 1
    page = text_of(reviewer.get("/staff/integrity?sort=clamped&desc=0"))
    assert "学员21 0 1 0 1" in page
    drill = text_of(reviewer.get(f"/staff/integrity/{busy.id}?reason=replay"))
    assert "重复心跳" in drill and "共 1 条" in drill
    assert "共 5 条" in text_of(reviewer.get(f"/staff/integrity/{busy.id}"))


def test_the_api_checks_roles_and_audits_too(app):
    desk = make_staff_member(app, ("service_desk",), i=904)
    reviewer = make_staff_member(app, ("reviewer",), i=905)
    cert = _certificate(app)

    def post(member, path, body):
        return member.client.post("/api/v1" + path, json=body, headers={"X-CSRF-Token": member.csrf})

    assert post(desk, f"/certificates/{cert.number}/revoke", {"reason": "x"}).status_code == 403
    assert post(reviewer, "/staff/accounts/lookup", {"q": "13700000020"}).status_code == 403
    assert reviewer.client.get("/api/v1/staff/learning/events").status_code == 200
    assert desk.client.get("/api/v1/staff/learning/events").status_code == 403
    assert Certificate.get_by_id(cert.id).status == "valid"
    assert AuditEntry.select().count() == 0

    assert post(desk, "/staff/accounts/lookup", {"q": "13700000020"}).status_code == 200
    assert post(reviewer, f"/certificates/{cert.number}/revoke", {"reason": "核查中"}).status_code == 200
    resp = post(reviewer, f"/certificates/{cert.number}/reissue", {"reason": "核查完毕"})
    assert resp.status_code == 201
    entries = list(AuditEntry.select().order_by(AuditEntry.id))
    assert [(e.action, e.actor_id) for e in entries] == [
        ("person.search", desk.user.id), ("certificate.revoke", reviewer.user.id),
        ("certificate.reissue", reviewer.user.id)]
    assert "13700000020" not in entries[0].detail and "137****0020" in entries[0].detail
    assert audit.loads(entries[2].after)["number"] == resp.get_json()["data"]["number"]
