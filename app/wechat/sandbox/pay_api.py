"""Sandbox: what every WeChat Pay v3 API of the sandbox shares (payments, refunds, bills, e-invoices).

`guard(bp, is_api, unsigned_paths)` gives a blueprint WeChat Pay's envelope: each API request must carry
the merchant's `Authorization` signature over its exact UTF-8 body (a body that is not UTF-8 is refused
with 400 PARAM_ERROR, as WeChat does), each answer is signed with the platform key (except file
downloads, which WeChat does not sign), and a PayError becomes WeChat's JSON error answer.
"""
from flask import Response, request

from app.wechat.sandbox.pay_crypto import PayError, check_merchant_request, dumps, platform_headers


def answer(payload, status=200):
    body = "" if payload is None else dumps(payload)
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise PayError(400, "PARAM_ERROR", "请求体必须是 JSON 对象", {"location": "body"})
    return data


def guard(bp, is_api, unsigned_paths=()):
    """Register on `bp` the signature check, the answer's signature and the error answer."""

    @bp.errorhandler(PayError)
    def _pay_error(error):
        return answer(error.body(), error.status)

    @bp.before_request
    def _check_signature():
        if not is_api():
            return
        query = request.query_string.decode()
        try:
            body = request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError as error:
            raise PayError(400, "PARAM_ERROR", "请求体不是 UTF-8 编码") from error
        check_merchant_request(request.method, request.path + (f"?{query}" if query else ""), body,
                               request.headers.get("Authorization"))

    @bp.after_request
    def _sign_answer(response):
        if is_api() and request.path not in unsigned_paths:
            response.headers.update(platform_headers(response.get_data(as_text=True)))
        return response
