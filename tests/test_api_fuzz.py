"""Schemathesis over the OpenAPI document, against the real app on each database engine.

Every operation is called with generated input, once unauthenticated and once as a learner with a bearer
token; each answer must not be a server error and must conform to the document (status code, content type,
schema of the envelope and its `data`). Examples per operation are bounded so the file stays well under
five minutes for both engines together.
"""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))


# Logging out revokes the bearer token that every later call of the learner run uses: fuzzed unauthenticated only.
LEARNER_EXCLUDED = {("POST", "/api/v1/auth/logout")}


def fuzz(app, headers=None, excluded=()):
    """Run every documented operation with generated input (valid and invalid); return the failures."""
    from schemathesis.checks import load_all_checks

    load_all_checks()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in excluded:
            continue
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @FUZZ_SETTINGS
        @given(case=strategy)
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # noqa: BLE001  (collected, then reported all at once below)
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_api_unauthenticated(app):
    failures = fuzz(app)
    assert not failures, "\n\n".join(failures)


def test_api_as_learner(app, api, registered):
    status, body = api.post("/auth/login?token=1", {"username": registered["mobile"],
                                                    "password": registered["password"]})
    assert status == 200, body
    failures = fuzz(app, {"Authorization": f"Bearer {body['data']['token']}"}, LEARNER_EXCLUDED)
    assert not failures, "\n\n".join(failures)
