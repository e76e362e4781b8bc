"""Expiring links to an application's images: signed for one viewer, valid LINK_SECONDS.

The link names the image and the account it was made for; the view serves it only to that account when
it still owns the application or is staff (reviewer or administrator), and answers 403 once expired.
"""
from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import ApiError

LINK_SECONDS = 600
SALT = "backfill-image"


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def image_url(image_id, viewer_id):
    return url_for("backfill.image", token=_serializer().dumps([image_id, viewer_id]))


def read_token(token, max_age=None):
    """(image id, viewer id) from a link; 403 once expired, 404 when forged or mangled."""
    try:
        image_id, viewer_id = _serializer().loads(token, max_age=max_age or LINK_SECONDS)
    except SignatureExpired:
        raise ApiError("图片链接已过期，请刷新页面", status=403) from None
    except (BadSignature, ValueError, TypeError):
        raise ApiError("图片不存在", status=404) from None
    return int(image_id), int(viewer_id)
