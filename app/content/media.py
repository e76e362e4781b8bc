"""Chapter videos for enrolled learners only, through expiring signed links.

A link names the chapter, the learner and its end (`/media/chapters/<id>.mp4?u=&e=&s=`), signed with HMAC-SHA256
under SECRET_KEY over those and the video's storage key (a replaced video voids old links). Opening it checks the
signature, the time, that the learner still holds the plan and the course is published, and that a logged-in
viewer is that learner; then `app.storage.serve` hands the bytes over (object store redirect, nginx
X-Accel-Redirect, or Flask with Range requests in development). A `<video>` element and the mini-program's video
component send no credentials, which is why the learner is in the signed link. Players renew a link that ran out
during a pause or a seek through `GET /api/v1/learning/chapters/<id>/video-link` without the learner noticing.
"""
import hashlib
import hmac
import time

from flask import Blueprint, current_app, request, url_for
from pydantic import BaseModel

from app.accounts.policy import current_user, current_user_id
from app.api import ApiBlueprint, ok
from app.errors import ApiError
from app.learning.models import Chapter, Course, Enrollment
from app.storage import NotFound, serve

bp = Blueprint("content_media", __name__)
api = ApiBlueprint("content_media_api", __name__)


class VideoLinkOut(BaseModel):
    video_url: str
    expires_at: int


def _signature(chapter_id, uid, expires, key):
    message = f"{chapter_id}:{uid}:{expires}:{key}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()[:40]


def chapter_link(chapter, uid, now=None, lifetime=None):
    """The learner's link to the chapter's video: signed and expiring for a stored video, else its plain URL."""
    if not chapter.video_key:
        return chapter.video_url
    lifetime = lifetime or current_app.config["VIDEO_LINK_SECONDS"]
    expires = int(now or time.time()) + lifetime
    return url_for("content_media.video", chapter_id=chapter.id, u=uid, e=expires,
                   s=_signature(chapter.id, uid, expires, chapter.video_key))


def _enrolled(uid, course):
    return Enrollment.select().where(Enrollment.user == uid, Enrollment.project == course.project_id,
                                     Enrollment.status == "active").exists()


@bp.route("/media/chapters/<int:chapter_id>.mp4")
def video(chapter_id):
    """The video behind a valid, unexpired link of a learner who holds the plan; 403 otherwise."""
    uid = request.args.get("u", type=int)
    expires = request.args.get("e", type=int)
    sent = request.args.get("s", "")
    chapter = Chapter.get_or_none(Chapter.id == chapter_id)
    if chapter is None or not chapter.video_key or uid is None or expires is None:
        raise ApiError("视频链接无效", code="forbidden", status=403)
    if not hmac.compare_digest(sent, _signature(chapter.id, uid, expires, chapter.video_key)):
        raise ApiError("视频链接无效", code="forbidden", status=403)
    remaining = expires - int(time.time())
    if remaining <= 0:
        raise ApiError("视频链接已过期，请刷新页面", code="link_expired", status=403)
    viewer = current_user_id()  # every buffering and seek asks again: no account row read
    course = Course.get_by_id(chapter.course_id)
    if (viewer is not None and viewer != uid) or course.published_at is None or not _enrolled(uid, course):
        raise ApiError("请先购买该培训项目后再学习", code="not_enrolled", status=403)
    try:
        return serve(chapter.video_key, "video/mp4", expires=max(60, remaining))
    except NotFound:
        raise ApiError("视频不存在", status=404) from None


@bp.route("/media/covers/<int:course_id>")
def cover(course_id):
    """A course's cover image (not private: it shows what a course is about)."""
    from app.content.covers import mimetype_of
    from app.storage import send

    course = Course.get_or_none(Course.id == course_id)
    if course is None or not course.cover_key:
        raise ApiError("封面不存在", status=404)
    return send(course.cover_key, mimetype_of(course.cover_key), cache="public, max-age=86400")


@api.endpoint("/learning/chapters/<int:chapter_id>/video-link", response=VideoLinkOut)
def video_link(chapter_id):
    """A fresh link to the chapter's video (the player renews one that expired during a pause or a seek)."""
    from app.learning.playback import owned_chapter

    user = current_user()
    chapter, _ = owned_chapter(user, chapter_id)
    now = int(time.time())
    return ok({"video_url": chapter_link(chapter, user.id, now=now),
               "expires_at": now + current_app.config["VIDEO_LINK_SECONDS"]})
