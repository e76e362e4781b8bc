"""The OpenAPI document is generated from the code and covers every API route."""
import re


def test_openapi_lists_every_api_route(app, client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    api_rules = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule), m) for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/v1/") for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    assert api_rules == documented
    register = doc["paths"]["/api/v1/auth/register"]["post"]
    schema_name = register["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    props = doc["components"]["schemas"][schema_name]["properties"]
    assert {"name", "id_number", "mobile", "gender", "password", "confirm_true"} <= set(props)
    assert "security" in doc["paths"]["/api/v1/me"]["get"]
    assert "invalid_input" in doc["x-error-codes"]
    params = doc["paths"]["/api/v1/projects/{project_id}"]["get"]["parameters"]
    assert params == [{"name": "project_id", "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}]


def test_ping_is_a_bare_json_answer(api):
    assert api.get("/ping") == (200, {"code": "ok", "message": "ok", "data": {"pong": True}})


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_every_operation_describes_its_success_data(client):
    """A new endpoint without a response model (data: {}) fails here."""
    doc = client.get("/api/v1/openapi.json").get_json()
    undescribed = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            success = {s: r for s, r in op["responses"].items() if s.startswith("2")}
            assert success, f"{method.upper()} {path} has no success response"
            for status, response in success.items():
                content = response.get("content") or {}
                json_schema = (content.get("application/json") or {}).get("schema")
                if json_schema is None:  # a download: the file type, as binary
                    assert content and all(c["schema"] == {"type": "string", "format": "binary"}
                                           for c in content.values()), f"{method.upper()} {path} {status}"
                    continue
                props = json_schema.get("properties") or {}
                if "$ref" in json_schema:  # not an envelope: the document itself
                    continue
                data = props.get("data")
                if not data:
                    undescribed.append(f"{method.upper()} {path} {status}")
            assert "default" in op["responses"], f"{method.upper()} {path}: no error envelope"
            error = op["responses"]["default"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert undescribed == []


def test_success_data_schemas_describe_lists_and_nullable_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]

    def data_of(path, method="get", status="200"):
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"][
            "properties"]["data"]

    assert data_of("/api/v1/projects") == {"type": "array", "items": {"$ref": "#/components/schemas/ProjectOut"}}
    assert data_of("/api/v1/orders", "post", "201") == {"$ref": "#/components/schemas/OrderOut"}
    assert schemas["OrderOut"]["properties"]["paid_at"] == {"anyOf": [{"type": "string"}, {"type": "null"}],
                                                            "title": "Paid At"}
    assert data_of("/api/v1/auth/logout", "post") == {"type": "null"}
    assert "200" not in doc["paths"]["/api/v1/orders"]["post"]["responses"]
    pdf = doc["paths"]["/api/v1/certificates/{number}/pdf"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]
