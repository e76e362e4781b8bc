"""People: finding learners and what service desk staff do to their accounts, as plain functions.

Every change is recorded in the audit log with the state before and after (ID numbers and mobiles
masked there). Finding by ID number or mobile goes through the blind index only.
"""
import peewee

from app.accounts import rules, service, sms, throttle
from app.accounts.models import User
from app.accounts.policy import forget_profile, forget_session_version
from app.db import db, utcnow
from app.errors import ApiError
from app.jobs import enqueue
from app.masking import mask_id, mask_mobile
from app.staff import audit

GENDER_TEXT = {"M": "男", "F": "女"}
FIELD_TEXT = {"name": "姓名", "id_number": "身份证号", "gender": "性别", "mobile": "手机号"}

for _code, _title in [("person.reveal_id", "查看完整身份证号"), ("person.correct", "更正个人信息"),
                      ("person.unlock", "解除登录锁定"), ("person.disable", "停用账号"), ("person.enable", "启用账号"),
                      ("person.reset_code", "发送重置验证码"), ("person.end_sessions", "结束全部会话"),
                      ("person.search", "按证件号/手机号查找")]:
    audit.register_action(_code, _title)


def _invalid(field, message):
    return ApiError(message, status=422, data={"fields": {field: message}})


def search(name="", id_number="", mobile="", limit=50):
    """Accounts by name (contains), or exactly by ID number or mobile through the blind index."""
    if id_number:
        try:
            cleaned = rules.clean_id_number(id_number)
        except ValueError as exc:
            raise _invalid("id_number", str(exc)) from None
        user = service.find_by_id_number(cleaned)
        return [user] if user else []
    if mobile:
        try:
            cleaned = rules.clean_mobile(mobile)
        except ValueError as exc:
            raise _invalid("mobile", str(exc)) from None
        user = service.find_by_mobile(cleaned)
        return [user] if user else []
    name = " ".join((name or "").split())[:30]
    if not name:
        raise _invalid("name", "请输入姓名、身份证号或手机号")
    return list(User.select().where(User.name.contains(name)).order_by(User.name, User.id).limit(limit))


def summary(user):
    """One account as the console shows it: personal data masked."""
    id_number, mobile = service.id_number_of(user), service.mobile_of(user)
    failures, left = throttle.account_state(user.id)
    locked = left > 0  # logins from unknown browsers must wait (app/accounts/throttle.py)
    return {"id": user.id, "name": user.name, "gender": user.gender, "gender_text": GENDER_TEXT.get(user.gender, ""),
            "id_number": mask_id(id_number), "mobile": mask_mobile(mobile), "username": user.username or "",
            "role": user.role, "active": user.is_active, "locked": locked, "lock_left": left if locked else 0,
            "failures": failures, "created_at": user.created_at, "last_login_at": user.last_login_at}


def reveal_id_number(user):
    """The full ID number, for a staff member who needs it; the viewing is audited."""
    audit.record("person.reveal_id", "account", user.id, detail={"field": "id_number"})
    return service.id_number_of(user)


def current_values(user):
    return {"name": user.name, "gender": user.gender, "id_number": service.id_number_of(user),
            "mobile": service.mobile_of(user)}


def clean_corrections(user, name="", id_number="", gender="", mobile=""):
    """The fields that actually change, cleaned; blank means "keep". Raises 422 with the field."""
    current, changes = current_values(user), {}
    checks = [("name", name, rules.clean_name), ("id_number", id_number, rules.clean_id_number),
              ("gender", gender, rules.clean_gender), ("mobile", mobile, rules.clean_mobile)]
    for field, raw, clean in checks:
        if not (raw or "").strip():
            continue
        try:
            value = clean(raw)
        except ValueError as exc:
            raise _invalid(field, str(exc)) from None
        if value != current[field]:
            changes[field] = value
    if not changes:
        raise _invalid("name", "没有需要更正的内容")
    new_id = changes.get("id_number", current["id_number"])
    new_gender = changes.get("gender", current["gender"])
    if rules.id_gender(new_id) != new_gender:
        raise _invalid("gender" if "gender" in changes else "id_number", "性别与身份证号不一致，请核对")
    return changes


def _taken(field, message):
    return ApiError(message, status=409, data={"fields": {field: message}})


def clean_reason(reason):
    reason = " ".join((reason or "").split())[:100]
    if not reason:
        raise _invalid("reason", "请填写更正原因")
    return reason


def correct(user, reason, staff=None, **fields):
    """Correct name / ID number / gender / mobile; certificates showing changed data are re-issued.

    Returns (changes, new certificates). The learner is told by SMS (and WeChat, through the
    re-issued certificate's message).
    """
    reason = clean_reason(reason)
    changes = clean_corrections(user, **fields)
    before = current_values(user)
    values = {"updated_at": utcnow()}
    values.update({k: v for k, v in changes.items() if k in ("name", "gender")})
    cols = service._pii_columns(changes.get("id_number", before["id_number"]), changes.get("mobile", before["mobile"]))
    with db.atomic():
        if "id_number" in changes and service.find_by_id_number(changes["id_number"]):
            raise _taken("id_number", "该身份证号已被其他账号使用")
        if "mobile" in changes and service.find_by_mobile(changes["mobile"]):
            raise _taken("mobile", "该手机号已被其他账号使用")
        if "id_number" in changes or "mobile" in changes:
            values.update(cols)
        try:
            with db.atomic():
                User.update(values).where(User.id == user.id).execute()
        except peewee.IntegrityError:  # another account took the number at the same moment
            field = "id_number" if "id_number" in changes else "mobile"
            raise _taken(field, "该身份证号或手机号已被其他账号使用") from None
        audit.record("person.correct", "account", user.id, {k: before[k] for k in changes}, changes,
                     {"reason": reason}, actor=staff)
    forget_profile(user.id)  # /me shows the corrected data at once
    user = User.get_by_id(user.id)
    reissued = _reissue_certificates(user, changes, reason, staff)
    _tell_learner(user, changes, reissued, before["mobile"])
    return changes, reissued


def _reissue_certificates(user, changes, reason, staff):
    """Valid certificates print the name and the (masked) ID number: re-issue them with the new data."""
    from app.certs import service as certs
    from app.certs.models import Certificate

    if not {"name", "id_number"} & set(changes):
        return []
    new = []
    for cert in Certificate.select().where(Certificate.user == user.id, Certificate.status == "valid"):
        replacement = certs.reissue(cert.number, staff=staff)
        audit.record("certificate.reissue", "certificate", cert.number, {"number": cert.number, "name": cert.name},
                     {"number": replacement.number, "name": replacement.name}, {"reason": reason}, actor=staff)
        new.append(replacement)
    return new


def _tell_learner(user, changes, reissued, old_mobile):
    """An SMS to the account's mobile; a changed mobile is also announced to the old number."""
    fields = "、".join(FIELD_TEXT[f] for f in FIELD_TEXT if f in changes)
    text = f"【继续教育】工作人员已更正您账号的{fields}。"
    if reissued:
        text += "您的证书已按更正后的信息换发，新证书编号 " + "、".join(c.number for c in reissued) + "，请登录查看。"
    text += "如非本人申请，请立即联系客服。"
    enqueue(sms.deliver_sms, service.mobile_of(user), text)
    if "mobile" in changes:
        notice = (f"【继续教育】您账号绑定的手机号已由工作人员更正为 {mask_mobile(changes['mobile'])}，"
                  "本号码不再用于登录。如非本人申请，请立即联系客服。")
        enqueue(sms.deliver_sms, old_mobile, notice)


def unlock(user):
    """Clear the login failures that locked the account."""
    failures, _ = throttle.account_state(user.id)
    throttle.unlock(user.id)
    audit.record("person.unlock", "account", user.id, {"failures": failures}, {"failures": 0})


def set_active(user, active, reason=""):
    """Disable (every session and token stops at once) or enable an account."""
    if user.is_active == active:
        raise ApiError("账号已是该状态", status=409)
    reason = " ".join((reason or "").split())[:100]
    if not active and not reason:
        raise _invalid("reason", "请填写停用原因")
    with db.atomic():
        User.update(is_active=active, updated_at=utcnow()).where(User.id == user.id).execute()
        audit.record("person.enable" if active else "person.disable", "account", user.id, {"active": not active},
                     {"active": active}, {"reason": reason} if reason else None)
    forget_session_version(user.id)


def send_reset_code(user, ip):
    """Send the learner a password reset code (the usual send limits apply)."""
    if not user.is_active:
        raise ApiError("账号已停用，请先启用", status=409)
    mobile = service.mobile_of(user)
    sms.check_send_limits(mobile, ip)
    sms.issue_code("reset_password", mobile)
    service.record_event("reset_code_sent", user, ip, "by staff")
    audit.record("person.reset_code", "account", user.id, detail={"to": mask_mobile(mobile)})


def end_sessions(user):
    """Log the account out everywhere: every session and token of an older version stops working."""
    with db.atomic():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
        audit.record("person.end_sessions", "account", user.id, {"session_version": user.session_version},
                     {"session_version": user.session_version + 1})
    forget_session_version(user.id)
