"""Fuzz the running API from its committed OpenAPI schema (schemathesis): no 500s, no crashes,
every response as documented. Bounded: a few examples per operation, with and without a key."""

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.stack import API_KEY, ROOT, Stack

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_no_operation_fails_on_generated_input(stack: Stack) -> None:
    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14  # every route: 13 paths, /tickets with GET and POST
    calls = 0
    # Ticket ids the generator makes up would all be 404s; seed one that exists.
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": API_KEY}) as http:
        http.post(
            "/tickets",
            json={
                "ticket_id": "FUZZ-1",
                "customer": {"name": "F", "email": "f@example.com"},
                "subject": "fuzz",
                "description": "fuzz target",
            },
        )
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            if case.path_parameters and "ticket_id" in case.path_parameters and calls % 2:
                case.path_parameters["ticket_id"] = "FUZZ-1"
            case.call_and_validate(
                base_url=stack.api_url, headers={"X-API-Key": API_KEY}, checks=CHECKS, timeout=40
            )

        fuzz()
    assert calls >= len(operations)
