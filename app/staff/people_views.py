"""People section: find a learner (ID number and mobile only in POST bodies), their page, account actions."""
from flask import flash, redirect, render_template, request, url_for

from app.accounts.models import User
from app.errors import ApiError
from app.masking import mask_id, mask_mobile
from app.staff import audit, bp, people
from app.staff.frame import register_section, staff_required
from app.staff.person_page import page_data

register_section("people", "学员", "staff.people_search", ("service_desk",), order=10)
PEOPLE_ROLES = ("service_desk",)
SEARCH_KINDS = [("name", "姓名"), ("id_number", "身份证号"), ("mobile", "手机号")]


@bp.route("/people", methods=["GET", "POST"])
@staff_required(*PEOPLE_ROLES)
def people_search():
    """Search by name, ID number or mobile; the form posts, so no personal data lands in a URL."""
    kind, q, found, error = request.form.get("kind", "name"), request.form.get("q", "").strip()[:40], None, None
    if request.method == "POST":
        if kind not in dict(SEARCH_KINDS):
            kind = "name"
        try:
            found = [people.summary(u) for u in people.search(**{kind: q})]
        except ApiError as err:
            error = err
        else:
            if kind != "name":
                audit.record("person.search", "account", ",".join(str(f["id"]) for f in found),
                             detail={"by": kind, "value": mask_id(q) if kind == "id_number" else mask_mobile(q),
                                     "found": len(found)})
            if len(found) == 1 and kind != "name":
                return redirect(url_for("staff.person", user_id=found[0]["id"]))
    return render_template("staff/people.html", kinds=SEARCH_KINDS, kind=kind, q=q if kind == "name" else "",
                           found=found, error=error, active_section="people"), error.status if error else 200


def _person(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise ApiError("没有这个账号", status=404)
    return user


def _render_person(user, status=200, **extra):
    return render_template("staff/person.html", person=people.summary(user), data=page_data(user),
                           active_section="people", **extra), status


@bp.route("/people/<int:user_id>")
@staff_required(*PEOPLE_ROLES)
def person(user_id):
    return _render_person(_person(user_id))


@bp.route("/people/<int:user_id>/reveal", methods=["POST"])
@staff_required(*PEOPLE_ROLES)
def person_reveal(user_id):
    """The full ID number, shown once on this page (audited); never put in a URL."""
    user = _person(user_id)
    return _render_person(user, revealed=people.reveal_id_number(user))


CORRECT_FIELDS = ("name", "id_number", "gender", "mobile")


@bp.route("/people/<int:user_id>/correct", methods=["GET", "POST"])
@staff_required(*PEOPLE_ROLES)
def person_correct(user_id):
    """Form → confirmation (exactly what changes, which certificates are re-issued) → applied."""
    user = _person(user_id)
    form = {k: request.form.get(k, "").strip()[:40] for k in CORRECT_FIELDS}
    reason = request.form.get("reason", "")
    error = None
    if request.method == "POST":
        try:
            if request.form.get("confirmed") == "1":
                changes, reissued = people.correct(user, reason, **form)
                message = "已更正" + "、".join(people.FIELD_TEXT[k] for k in changes)
                if reissued:
                    message += "，证书已换发：" + "、".join(c.number for c in reissued)
                flash(message + "，并已短信通知学员")
                return redirect(url_for("staff.person", user_id=user.id))
            people._clean_reason(reason)
            changes = people.clean_corrections(user, **form)
            return render_template("staff/person_correct_confirm.html", person=people.summary(user),
                                   rows=_change_rows(user, changes), form=form, reason=reason,
                                   certs=_affected_certificates(user, changes), active_section="people")
        except ApiError as err:
            error = err
    return render_template("staff/person_correct.html", person=people.summary(user), form=form, reason=reason,
                           error=error, active_section="people"), error.status if error else 200


def _change_rows(user, changes):
    shown = {"id_number": mask_id, "mobile": mask_mobile, "gender": lambda g: people.GENDER_TEXT.get(g, g)}
    current = people._state(user)
    return [(people.FIELD_TEXT[k], shown.get(k, str)(current[k]), shown.get(k, str)(v)) for k, v in changes.items()]


def _affected_certificates(user, changes):
    from app.certs.models import Certificate

    if not {"name", "id_number"} & set(changes):
        return []
    return [c.number for c in Certificate.select().where(Certificate.user == user.id, Certificate.status == "valid")]


ACTIONS = {
    "unlock": ("解除登录锁定", False), "enable": ("启用账号", False), "reset-code": ("发送重置密码验证码", False),
    "disable": ("停用账号", True), "end-sessions": ("结束全部登录会话", True),
}
CONSEQUENCES = {
    "disable": "账号将无法登录，所有已登录的设备立即退出；学习记录、订单和证书保留。",
    "end-sessions": "该账号在所有设备（网页、小程序）上的登录立即失效，需要重新登录。",
}


@bp.route("/people/<int:user_id>/<any(unlock, enable, disable, 'reset-code', 'end-sessions'):action>",
          methods=["POST"])
@staff_required(*PEOPLE_ROLES)
def person_action(user_id, action):
    """Account actions; the destructive ones show a confirmation first."""
    user = _person(user_id)
    title, needs_confirm = ACTIONS[action]
    if needs_confirm and request.form.get("confirmed") != "1":
        return _confirm_page(user, action, title)
    try:
        if action == "unlock":
            people.unlock(user)
        elif action == "enable":
            people.set_active(user, True)
        elif action == "disable":
            people.set_active(user, False, request.form.get("reason", ""))
        elif action == "reset-code":
            people.send_reset_code(user, request.remote_addr or "")
        else:
            people.end_sessions(user)
    except ApiError as err:
        if needs_confirm:
            return _confirm_page(user, action, title, err)
        return _render_person(user, err.status, error=err)
    flash(f"已{title}")
    return redirect(url_for("staff.person", user_id=user.id))


def _confirm_page(user, action, title, error=None):
    facts = [("学员", f"{user.name}（{mask_id(people.service.id_number_of(user))}）"), ("操作", title),
             ("结果", CONSEQUENCES[action])]
    return render_template("staff/person_confirm.html", person=people.summary(user), action=action, title=title,
                           facts=facts, reason=action == "disable", error=error,
                           active_section="people"), error.status if error else 200
