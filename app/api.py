"""The /api/v1 contract: one envelope, pydantic-validated input, routes that describe themselves (app/openapi.py)."""
import functools
import json

import orjson
import pydantic
from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from app.errors import ApiError, envelope
from app.openapi import openapi_document

API_PREFIX = "/api/v1"
DB_INT_MAX = 2**31 - 1  # PostgreSQL's integer; ids and counts in paths and bodies stay below it
NO_DATA = type(None)  # `response=` of an endpoint whose success envelope carries data: null
JSON_MAX_DEPTH = 20  # our deepest body is 3 levels; deeper nesting is an attack on the parser

# Messages for pydantic's error types, in the words a learner understands.
_FIELD_MESSAGES = {
    "missing": "必填",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为是或否",
    "bool_parsing": "应为是或否",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "extra_forbidden": "不支持的字段",
    "model_type": "格式不正确",
    "dict_type": "格式不正确",
    "list_type": "应为列表",
    "string_pattern_mismatch": "格式不正确",
    "greater_than": "超出允许范围",
    "greater_than_equal": "超出允许范围",
    "less_than": "超出允许范围",
    "less_than_equal": "超出允许范围",
}


def ok(data=None, message="ok", status=200):
    """The success envelope."""
    return envelope("ok", message, data, status)


def field_errors(exc):
    """Turn a pydantic ValidationError into {field: Chinese message}."""
    fields = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind == "value_error":
            message = str(ctx.get("error", err["msg"]))
        elif kind == "string_too_short":
            message = "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
        elif kind == "string_too_long":
            message = f"最多 {ctx.get('max_length')} 个字符"
        elif err.get("input") is None and kind.endswith("_type"):
            message = "必填"  # an empty form field or a JSON null, not a value of the wrong type
        else:
            message = _FIELD_MESSAGES.get(kind, "格式不正确")
        fields.setdefault(name, message)
    return fields


def parse_model(model, payload, strict=False):
    """Validate a dict with a pydantic model, raising ApiError(422) with per-field messages.

    JSON bodies are validated strictly (`true` is not the integer 1, "5" is not 5); HTML forms, whose
    values are all text, are not.
    """
    if not isinstance(payload, dict):
        raise ApiError("请求体必须是 JSON 对象", status=400)
    try:
        return model.model_validate(payload, strict=strict)
    except pydantic.ValidationError as exc:
        fields = field_errors(exc)
        raise ApiError(error_summary(model, fields), status=422, data={"fields": fields}) from None


def error_summary(model, fields):
    """One line for the banner: the first problem with its field's label (once), and how many more."""
    name, message = next(iter(fields.items()))
    title = model.model_config.get("title") or "提交的信息有误"
    field = model.model_fields.get(name)
    label = field.description if field is not None and field.description else ""
    first = message if not label or message.startswith(label) else f"{label}{message}"
    more = f"（另有 {len(fields) - 1} 处需修改）" if len(fields) > 1 else ""
    return f"{title}：{first}{more}"


def json_body():
    """The request's JSON object, or a clear 4xx."""
    if not request.is_json:
        raise ApiError("请以 JSON 格式提交（Content-Type: application/json）", status=415)
    return load_json(body_text())


def body_text():
    """The request body as text (body_bytes(), decoded as request.get_data(as_text=True) decodes)."""
    return body_bytes().decode("utf-8", "replace")


def body_bytes():
    """The request body. A body of declared length is read straight from the WSGI stream (werkzeug's stream
    wrappers cost several times the read), within the same limit request.get_data keeps, and left where
    request.get_data finds it; any other body goes through request.get_data."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    environ = req.environ
    length = environ.get("CONTENT_LENGTH") or ""
    if (not (length.isascii() and length.isdigit()) or environ.get("HTTP_TRANSFER_ENCODING")
            or getattr(req, "_cached_data", None) is not None):
        return req.get_data()
    limit = req.max_content_length
    if limit is not None and int(length) > limit:
        raise RequestEntityTooLarge()
    raw = environ["wsgi.input"].read(int(length))
    req._cached_data = raw  # werkzeug's own cache: a later request.get_data answers the same body
    return raw


def quick_json(raw):
    """The JSON object in `raw` as load_json reads it, read by orjson (a fifth of the time) when the two read it
    alike; else None, and load_json reads it and says what is wrong. orjson refuses some text json accepts (NaN,
    lone surrogates, bytes that are not UTF-8) and reads integers beyond 64 bits as floats: callers only take
    from it fields whose types and ranges they check, which such integers never pass."""
    if b"\\u0000" in raw or raw.count(b"{") + raw.count(b"[") >= JSON_MAX_DEPTH:
        return None  # load_json's own checks apply
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return payload if type(payload) is dict else None


def load_json(text):
    """Parse a request body: valid JSON, at most JSON_MAX_DEPTH deep, no NUL characters."""
    try:
        payload = json.loads(text or "null")
    except (ValueError, RecursionError):
        raise ApiError("请求体不是有效的 JSON", status=400) from None
    if payload is None:
        raise ApiError("请求体不是有效的 JSON", status=400)
    text = text or ""
    if "\\u0000" in text or text.count("{") + text.count("[") >= JSON_MAX_DEPTH:
        # Otherwise no string can hold NUL (JSON must escape it as \\u0000) and fewer than JSON_MAX_DEPTH
        # brackets cannot nest too deep: the walk is skipped (a heartbeat's flat body, say).
        _check_json(payload)
    return payload


def _check_json(payload):
    """Refuse nesting deeper than JSON_MAX_DEPTH and text with NUL (PostgreSQL cannot store it)."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise ApiError("请求体嵌套过深", status=400)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth) for k in value)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and "\x00" in value:
            raise ApiError("提交的内容含有不允许的控制字符", status=400)


class ApiBlueprint(Blueprint):
    """A blueprint whose routes carry their own OpenAPI description."""

    def endpoint(self, rule, methods=("GET",), body=None, auth="user", summary="", response=None, max_body=None,
                 doc_auth=None, doc_body=None, status=200, media=None, enveloped=True, query=None):
        """Register a JSON endpoint; `body` is a pydantic model passed to the view as `data`, `query` one of
        the query string passed as `args` (bounded values, or a 422 naming the parameter).

        `response` is the pydantic model (or type) of the success envelope's `data`, answered with `status`
        (an int or a tuple of them); `enveloped=False` when `response` describes the whole answer; `media`
        instead names the file type a download answers with. `max_body` raises the request size limit for
        this endpoint (uploads, long lists). `doc_auth` and `doc_body` describe, for the OpenAPI document, a
        view that checks access or parses its body itself.
        """

        def decorator(view):
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                from app.accounts.policy import require

                if max_body:
                    request.max_content_length = max_body
                require(auth)
                if query is not None:
                    kwargs["args"] = parse_model(query, request.args.to_dict())
                if body is not None:
                    kwargs["data"] = parse_model(body, json_body(), strict=True)
                return view(*args, **kwargs)

            wrapper.openapi = {"methods": list(methods), "body": body or doc_body, "auth": doc_auth or auth,
                               "summary": summary or (view.__doc__ or "").strip().split("\n")[0],
                               "response": response, "media": media, "enveloped": enveloped,
                               "status": (status,) if isinstance(status, int) else tuple(status), "query": query}
            self.add_url_rule(rule, view_func=wrapper, methods=list(methods))
            return wrapper

        return decorator


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: 0 … 2^31-1 (a database id fits); anything larger is simply not found."""

    def __init__(self, map, fixed_digits=0, min=0, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class OpenApiOut(pydantic.BaseModel):
    """This document (not an envelope)."""

    model_config = pydantic.ConfigDict(extra="allow")
    openapi: str
    info: dict
    paths: dict
    components: dict


class PingOut(pydantic.BaseModel):
    pong: bool


def register_meta_routes(bp):
    @bp.endpoint("/openapi.json", auth=None, summary="This document", response=OpenApiOut, enveloped=False)
    def openapi():
        return current_app.response_class(
            current_app.json.dumps(openapi_document(current_app)), mimetype="application/json")

    @bp.endpoint("/ping", auth=None, summary="Liveness: a bare JSON answer", response=PingOut)
    def ping():
        return ok({"pong": True})
