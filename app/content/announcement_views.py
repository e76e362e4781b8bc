"""Announcements: the console's 公告 section (content editors), the learners' API, the H5 home page's block."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import BaseModel

from app.accounts.policy import current_user
from app.api import ApiBlueprint, ok
from app.content import announcements as notices
from app.content.announcements import Announcement
from app.staff import audit
from app.staff.frame import register_section, staff_required

bp = Blueprint("content_notices", __name__, url_prefix="/staff/announcements")
api = ApiBlueprint("content_notices_api", __name__)
ROLES = ("content_editor",)

register_section("announcements", "公告", "content_notices.index", ROLES, order=65)
for _action, _title in (("announcement.create", "新建公告"), ("announcement.update", "修改公告"),
                        ("announcement.publish", "发布公告"), ("announcement.withdraw", "撤下公告")):
    audit.register_action(_action, _title)


class AnnouncementOut(BaseModel):
    id: int
    title: str
    body: str
    level: str
    level_text: str
    starts_at: str
    ends_at: str


@api.endpoint("/announcements", auth=None, response=list[AnnouncementOut])
def current_list():
    """Announcements shown now on the home pages (published, within their start and end)."""
    return ok([notices.view(a) for a in notices.current()])


def _found(announcement_id):
    from app.content.staff_views import found_or_404

    return found_or_404(Announcement, announcement_id, "公告不存在，请从列表中选择")


@bp.route("/")
@staff_required(*ROLES)
def index():
    rows = list(Announcement.select().order_by(Announcement.starts_at.desc(), Announcement.id.desc()).limit(200))
    live = {a.id for a in notices.current(limit=100)}
    return render_template("content/announcements.html", rows=rows, live=live, local=notices.local,
                           levels=notices.LEVEL_TEXT, active_section="announcements")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:announcement_id>", methods=["GET", "POST"])
@staff_required(*ROLES)
def edit(announcement_id=None):
    found = _found(announcement_id) if announcement_id else None
    form, errors = notices.form_of(found), {}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in form}
        before = notices.form_of(found) if found else None
        saved, errors = notices.save(request.form, current_user(), found)
        if not errors:
            audit.record("announcement.update" if found else "announcement.create", "announcement", saved.id,
                         before=before, after=notices.form_of(saved))
            flash("公告已保存" + ("" if saved.is_published else "（草稿，发布后学员可见）"))
            return redirect(url_for("content_notices.edit", announcement_id=saved.id))
    return render_template("content/announcement_form.html", found=found, form=form, errors=errors,
                           levels=notices.LEVELS, active_section="announcements"), 422 if errors else 200


@bp.route("/<int:announcement_id>/<any(publish, withdraw):action>", methods=["POST"])
@staff_required(*ROLES)
def publish(announcement_id, action):
    found = _found(announcement_id)
    Announcement.update(is_published=action == "publish").where(Announcement.id == found.id).execute()
    audit.record(f"announcement.{action}", "announcement", found.id, before={"published": found.is_published},
                 after={"published": action == "publish"}, detail={"title": found.title})
    flash("公告已发布，在开始与结束时间之间显示在学员首页" if action == "publish" else "公告已撤下")
    return redirect(url_for("content_notices.index"))
