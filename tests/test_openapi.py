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
