"""The OpenAPI document of /api/v1, built from what each `ApiBlueprint.endpoint` declares."""
import pydantic
from werkzeug.routing import IntegerConverter

from app.errors import HTTP_CODES


def openapi_document(app):
    """Build the OpenAPI 3.1 document from the registered endpoints."""
    paths, schemas = {}, {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "openapi", None)
        if spec is None:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        for method in spec["methods"]:
            op = {"summary": spec["summary"], "operationId": f"{rule.endpoint}.{method.lower()}",
                  "tags": [rule.endpoint.split(".")[0]],
                  "responses": _responses(spec, schemas)}
            parameters = [{"name": a, "in": "path", "required": True, "schema": _path_schema(rule._converters[a])}
                          for a in sorted(rule.arguments)]
            if spec["query"] is not None:
                parameters += _query_parameters(spec["query"])
            if parameters:
                op["parameters"] = parameters
            if spec["auth"] in ("user", "staff"):
                op["security"] = [{"bearer": []}, {"cookie": []}]
            if spec["body"] is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": _schema_ref(spec["body"], schemas)}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": app.config["PLATFORM_NAME"] + " API", "version": "1",
                 "description": "Every answer is an envelope {code, message, data}; code is 'ok' on "
                                "success, otherwise one of the error codes below. See docs/api.md."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Mini-program token"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"],
                           "description": "H5 session cookie; unsafe methods also need X-CSRF-Token"},
            },
        },
        "x-error-codes": {code: message for code, message in HTTP_CODES.values()},
    }


def _query_parameters(model):
    """The query string model's fields as OpenAPI query parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required,
             "schema": {k: v for k, v in prop.items() if k != "title"}} for name, prop in schema["properties"].items()]


def _path_schema(converter):
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": converter.min, "maximum": converter.max}
    return {"type": "string"}


def _schema_ref(model, schemas):
    """A reference to a model's schema (its sub-models in components); a list of models is inlined."""
    template = "#/components/schemas/{model}"
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        schema = model.model_json_schema(ref_template=template)
    else:
        schema = pydantic.TypeAdapter(model).json_schema(ref_template=template)
    for name, sub in schema.pop("$defs", {}).items():
        _put(schemas, name, sub)
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return schema
    _put(schemas, model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _put(schemas, name, schema):
    """Components are keyed by model name: two different models of one name would describe each other."""
    if schemas.get(name, schema) != schema:
        raise RuntimeError(f"two different models are named {name}: rename one (the OpenAPI document keys by name)")
    schemas[name] = schema


ERROR_ENVELOPE = {"type": "object", "required": ["code", "message", "data"], "properties": {
    "code": {"type": "string", "description": "One of x-error-codes"},
    "message": {"type": "string", "description": "What went wrong, for the user"},
    "data": {"anyOf": [{"type": "null"}, {
        "type": "object", "description": "Details, e.g. fields: {name: message} for invalid_input"}]}}}


def _responses(spec, schemas):
    """The success answers of an endpoint, and the error envelope for every other status."""
    if spec["media"]:
        success = {"content": {spec["media"]: {"schema": {"type": "string", "format": "binary"}}}}
    elif not spec["enveloped"]:
        success = {"content": {"application/json": {"schema": _schema_ref(spec["response"], schemas)}}}
    else:
        data = _schema_ref(spec["response"], schemas) if spec["response"] else {}
        success = {"content": {"application/json": {"schema": {
            "type": "object", "required": ["code", "message", "data"], "properties": {
                "code": {"const": "ok"}, "message": {"type": "string"}, "data": data}}}}}
    out = {str(status): {"description": "Success", **success} for status in spec["status"]}
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    notes = ["An error envelope"]
    if spec["body"] is not None or spec["query"] is not None:
        notes.append("422: invalid input, data.fields maps each field or query parameter to a message")
    if spec["auth"] in ("user", "staff"):
        notes.append("401: not logged in")
    if spec["auth"] == "staff":
        notes.append("403: staff only")
    out["default"] = {"description": "; ".join(notes), **error}
    return out
