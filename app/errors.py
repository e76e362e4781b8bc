"""One error type raised anywhere, answered as the JSON envelope or an HTML page."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Error codes of the API envelope; docs/api.md lists them with their meaning.
HTTP_CODES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的内容不存在"),
    405: ("method_not_allowed", "不支持该请求方式"),
    409: ("conflict", "数据冲突，请刷新后重试"),
    413: ("payload_too_large", "提交的内容过大"),
    415: ("unsupported_media_type", "请以 JSON 格式提交"),
    422: ("invalid_input", "提交的信息有误"),
    423: ("locked", "账号已被临时锁定"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "系统繁忙，请稍后再试"),
}


class ApiError(Exception):
    """A failure the user can act on: a message in Chinese, a stable code, an HTTP status."""

    def __init__(self, message, code=None, status=400, data=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or HTTP_CODES.get(status, ("error",))[0]
        self.data = data


def wants_json():
    """API paths and clients that ask for JSON get the envelope; browsers get a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def envelope(code, message, data=None, status=200):
    return jsonify({"code": code, "message": message, "data": data}), status


def _respond(status, code, message, data=None):
    if wants_json():
        return envelope(code, message, data, status)
    return render_template("errors/error.html", status=status, message=message, data=data), status


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def _api_error(err):
        return _respond(err.status, err.code, err.message, err.data)

    @app.errorhandler(HTTPException)
    def _http_error(err):
        code, message = HTTP_CODES.get(err.code, ("error", err.name))
        return _respond(err.code, code, message)

    @app.errorhandler(Exception)
    def _unexpected(err):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        code, message = HTTP_CODES[500]
        return _respond(500, code, message)
