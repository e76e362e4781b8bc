"""Course covers: a PNG, JPEG or WebP image of at most 2 MB, recognised by its first bytes (not by the name the
browser sent), re-encoded (app/images.py: at most COVER_SIDE pixels a side, a JPEG without the upload's
metadata), kept in storage and shown to learners on the course page at `/media/covers/<course id>`."""
import secrets

from flask import url_for

from app.errors import ApiError
from app.images import reencode
from app.learning.models import Course
from app.storage import storage

COVER_LIMIT = 2 * 1024 * 1024
COVER_SIDE = 1280  # sharp on a phone's course card and a PC's course page, small to download
COVER_MIN_SIDE = 120
TYPES = ((b"\x89PNG\r\n\x1a\n", "png", "image/png"), (b"\xff\xd8\xff", "jpg", "image/jpeg"))


def kind_of(head):
    """(extension, mimetype) of an image's first bytes, or None."""
    for magic, ext, mime in TYPES:
        if head.startswith(magic):
            return ext, mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def save(course, upload):
    """Store the uploaded cover for the course; an error message in Chinese, or None."""
    if upload is None or not upload.filename:
        return "请选择封面图片"
    data = upload.stream.read(COVER_LIMIT + 1)
    if len(data) > COVER_LIMIT:
        return "封面图片不能超过 2 MB"
    kind = kind_of(data[:16])
    if kind is None:
        return "封面应为 PNG、JPEG 或 WebP 图片"
    try:
        jpeg, _width, _height = reencode(data, {"jpg": "jpeg"}.get(kind[0], kind[0]), max_side=COVER_SIDE,
                                         min_side=COVER_MIN_SIDE)
    except ApiError as exc:
        return exc.message
    key = f"covers/course-{course.id}-{secrets.token_hex(6)}.jpg"
    storage().put(key, jpeg, "image/jpeg")
    old = course.cover_key
    Course.update(cover_key=key).where(Course.id == course.id).execute()
    if old and not Course.select().where(Course.cover_key == old).exists():
        storage().delete(old)
    return None


def cover_url(course):
    """The cover's address (its storage key's random part makes a new cover a new address), or None."""
    if not course.cover_key:
        return None
    return url_for("content_media.cover", course_id=course.id, v=course.cover_key.rsplit("-", 1)[-1])


def mimetype_of(key):
    ext = key.rsplit(".", 1)[-1]
    return {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}.get(ext, "application/octet-stream")
