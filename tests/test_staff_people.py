"""People in the console: search through the blind index in POST bodies, corrections that re-issue
certificates and tell the learner, account actions, each audited with before and after."""
import json

from app.accounts import service, sms
from app.accounts.models import User
from app.certs.models import Certificate
from app.redis_client import get_redis
from app.staff import audit
from app.staff.models import AuditEntry
from app.wechat.models import WechatMessage
from tests.certs_fixtures import finished_learner, issued
from tests.learning_fixtures import PASSWORD, make_id, make_learner
from tests.staff_fixtures import make_staff_member, text_of


def _entries(action):
    return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def test_search_by_id_number_goes_through_the_blind_index_in_the_body(app):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=3).user
    resp = desk.post("/staff/people", {"kind": "id_number", "q": make_id(3)})
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/staff/people/{learner.id}"
    entry = _entries("person.search")[0]
    assert make_id(3) not in entry.detail and audit.loads(entry.detail)["by"] == "id_number"
    page = text_of(desk.get(f"/staff/people/{learner.id}"))
    assert "学员3" in page and make_id(3) not in page and "13700000003" not in page
    # By mobile, by name, nothing found, and bad input with an inline message.
    assert desk.post("/staff/people", {"kind": "mobile", "q": "13700000003"}).status_code == 302
    resp = desk.post("/staff/people", {"kind": "name", "q": "学员"})
    assert resp.status_code == 200 and "学员3" in text_of(resp)
    resp = desk.post("/staff/people", {"kind": "mobile", "q": "13700009999"})
    assert resp.status_code == 200 and "没有找到匹配的学员" in text_of(resp)
    resp = desk.post("/staff/people", {"kind": "id_number", "q": "5001031990"})
    assert resp.status_code == 422 and 'id="err-q"' in resp.get_data(as_text=True)


def test_viewing_the_full_id_number_is_a_separate_audited_action(app):
    desk = make_staff_member(app, ("service_desk",), name="客服甲")
    learner = make_learner(app, i=4).user
    assert make_id(4) not in desk.get(f"/staff/people/{learner.id}").get_data(as_text=True)
    assert _entries("person.reveal_id") == []
    resp = desk.post(f"/staff/people/{learner.id}/reveal")
    assert resp.status_code == 200 and make_id(4) in resp.get_data(as_text=True)
    [entry] = _entries("person.reveal_id")
    assert (entry.actor_id, entry.actor_name, entry.target_id) == (desk.user.id, "客服甲", str(learner.id))
    assert make_id(4) not in entry.detail + entry.before + entry.after


def test_correcting_the_name_reissues_the_certificate_and_tells_the_learner(app, drain):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=5).user
    user, project = finished_learner("学员5")
    old = issued(user, project)
    assert old.name == "学员5"
    form = {"name": "李四", "id_number": "", "gender": "", "mobile": "", "reason": "身份证复印件核实，姓名登记错误"}

    resp = desk.post(f"/staff/people/{learner.id}/correct", form)
    assert resp.status_code == 200
    page = text_of(resp)
    assert "学员5 → 李四" in page and old.number in page
    assert User.get_by_id(learner.id).name == "学员5"  # nothing changed before the confirmation

    resp = desk.post(f"/staff/people/{learner.id}/correct", {**form, "confirmed": "1"})
    assert resp.status_code == 302
    assert User.get_by_id(learner.id).name == "李四"
    old = Certificate.get_by_id(old.id)
    new = Certificate.get_by_id(old.replaced_by_id)
    assert (old.status, new.status, new.name) == ("replaced", "valid", "李四")
    assert WechatMessage.get(WechatMessage.event_key == f"certificate-ready:{new.id}").template == "certificate_ready"
    drain()
    text = sms.read_outbox()[0]
    assert text["mobile"] == "13700000005" and new.number in text["text"] and "姓名" in text["text"]
    [entry] = _entries("person.correct")
    assert audit.loads(entry.before) == {"name": "学员5"} and audit.loads(entry.after) == {"name": "李四"}
    assert audit.loads(entry.detail) == {"reason": "身份证复印件核实，姓名登记错误"}
    [reissue] = _entries("certificate.reissue")
    assert audit.loads(reissue.after)["number"] == new.number


def test_correcting_id_number_and_mobile_keeps_login_working_and_masks_the_audit(app, drain):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=6).user
    new_id = make_id(60)
    form = {"id_number": new_id, "mobile": "13600000006", "reason": "学员提供新证件"}
    resp = desk.post(f"/staff/people/{learner.id}/correct", {**form, "confirmed": "1"})
    assert resp.status_code == 302
    assert service.find_by_id_number(new_id).id == learner.id
    assert service.find_by_mobile("13600000006").id == learner.id
    assert service.find_by_mobile("13700000006") is None
    resp = app.test_client().post("/api/v1/auth/login", json={"username": "13600000006", "password": PASSWORD})
    assert resp.status_code == 200
    [entry] = _entries("person.correct")
    stored = entry.before + entry.after
    assert new_id not in stored and make_id(6) not in stored and "13600000006" not in stored
    assert audit.loads(entry.after)["mobile"] == "136****0006"


def test_correction_errors_are_inline_and_change_nothing(app):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=7).user
    make_learner(app, i=8)
    cases = [({"name": "王五"}, 422, "请填写更正原因"),
             ({"id_number": "500103199003077650", "reason": "x"}, 422, 'id="err-id_number"'),
             ({"gender": "F" if learner.gender == "M" else "M", "reason": "x"}, 422, "性别与身份证号不一致"),
             ({"mobile": "13700000008", "reason": "x", "confirmed": "1"}, 409, "该手机号已被其他账号使用"),
             ({"reason": "x"}, 422, "没有需要更正的内容")]
    for form, status, message in cases:
        resp = desk.post(f"/staff/people/{learner.id}/correct", form)
        assert resp.status_code == status, form
        assert message in resp.get_data(as_text=True), form
    assert User.get_by_id(learner.id).name == "学员7"
    assert service.mobile_of(User.get_by_id(learner.id)) == "13700000007"
    assert _entries("person.correct") == []


def test_unlock_an_account_locked_by_failed_logins(app):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=9).user
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/api/v1/auth/login", json={"username": "13700000009", "password": "Wrong1234"})
    assert client.post("/api/v1/auth/login", json={"username": "13700000009", "password": PASSWORD}).status_code == 423
    assert "登录已锁定" in text_of(desk.get(f"/staff/people/{learner.id}"))
    resp = desk.post(f"/staff/people/{learner.id}/unlock")
    assert resp.status_code == 302
    assert client.post("/api/v1/auth/login", json={"username": "13700000009", "password": PASSWORD}).status_code == 200
    [entry] = _entries("person.unlock")
    assert audit.loads(entry.before) == {"failures": app.config["LOGIN_MAX_FAILURES"]}
    assert audit.loads(entry.after) == {"failures": 0}


def test_disable_needs_confirmation_and_a_reason_then_enable(app):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=10)
    me = app.test_client()
    headers = {"Authorization": f"Bearer {learner.token}"}
    assert me.get("/api/v1/me", headers=headers).status_code == 200
    resp = desk.post(f"/staff/people/{learner.user.id}/disable")
    assert resp.status_code == 200 and "所有已登录的设备立即退出" in text_of(resp)
    assert User.get_by_id(learner.user.id).is_active
    resp = desk.post(f"/staff/people/{learner.user.id}/disable", {"confirmed": "1", "reason": ""})
    assert resp.status_code == 422 and "请填写停用原因" in text_of(resp)
    resp = desk.post(f"/staff/people/{learner.user.id}/disable", {"confirmed": "1", "reason": "冒用他人身份"})
    assert resp.status_code == 302
    assert not User.get_by_id(learner.user.id).is_active
    assert me.get("/api/v1/me", headers=headers).status_code == 401
    assert desk.post(f"/staff/people/{learner.user.id}/enable").status_code == 302
    assert User.get_by_id(learner.user.id).is_active
    disabled, enabled = _entries("person.disable")[0], _entries("person.enable")[0]
    assert (audit.loads(disabled.before), audit.loads(disabled.after)) == ({"active": True}, {"active": False})
    assert audit.loads(disabled.detail) == {"reason": "冒用他人身份"}
    assert audit.loads(enabled.after) == {"active": True}


def test_end_all_sessions_and_send_a_reset_code(app, drain):
    desk = make_staff_member(app, ("service_desk",))
    learner = make_learner(app, i=11)
    headers = {"Authorization": f"Bearer {learner.token}"}
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert desk.post(f"/staff/people/{learner.user.id}/end-sessions").status_code == 200  # the confirmation
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert desk.post(f"/staff/people/{learner.user.id}/end-sessions", {"confirmed": "1"}).status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    [ended] = _entries("person.end_sessions")
    assert audit.loads(ended.after)["session_version"] == audit.loads(ended.before)["session_version"] + 1

    assert desk.post(f"/staff/people/{learner.user.id}/reset-code").status_code == 302
    drain()
    assert sms.read_outbox()[0]["mobile"] == "13700000011"
    assert get_redis().exists(sms._code_key("reset_password", "13700000011"))
    [sent] = _entries("person.reset_code")
    assert json.loads(sent.detail) == {"to": "137****0011"}
    # A second code at once is refused with the usual cool-down, inline on the learner's page.
    resp = desk.post(f"/staff/people/{learner.user.id}/reset-code")
    assert resp.status_code == 429 and "验证码已发送" in text_of(resp)


def test_learner_page_lists_plans_certificates_and_learning_events(app):
    from app.learning.models import LearningEvent

    desk = make_staff_member(app, ("service_desk",))
    make_learner(app, i=12)
    user, project = finished_learner("学员12")
    cert = issued(user, project)
    LearningEvent.create(user=user.id, reason="too_fast", detail="advanced 9000 ms in 5000 ms")
    LearningEvent.create(user=user.id, reason="replay", detail="seq 3 after 3")
    page = text_of(desk.get(f"/staff/people/{user.id}"))
    assert project.name in page and cert.number in page
    assert "被拒心跳 1 次 · 截断心跳 1 次 · 答题错误 0 次" in page
    assert "进度过快（已截断）" in page and "重复心跳" in page
