"""Fuzz the running API from its committed OpenAPI schema (schemathesis): no 500s, no crashes,
every response as documented. Bounded: a few examples per operation, with and without a key.

Schemathesis never generates what JSON cannot hold (non-finite numbers, lone surrogates, bytes
that are not UTF-8), so half of the JSON bodies it makes get one such value at a drawn place."""

import json
from base64 import b64encode
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.stack import API_KEY, INBOUND_PASSWORD, INBOUND_USER, ROOT, Stack

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
SEEDED_TICKET = "FUZZ-1"
MARK = "poison-3f1c9a"  # stands where the poison goes; no generated body holds it
# The API key, and SendGrid's Basic credentials: the inbound webhook reads what is generated.
CREDENTIALS = {
    "X-API-Key": API_KEY,
    "Authorization": "Basic " + b64encode(f"{INBOUND_USER}:{INBOUND_PASSWORD}".encode()).decode(),
}


def not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# (written into the body, the error type that must name it)
NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 20])
POISONS = st.one_of(
    NUMBERS.map(lambda number: (number.encode(), "json_number")),
    st.tuples(st.text(max_size=3), st.characters(categories=["Cs"]), st.text(max_size=3)).map(
        lambda parts: (json.dumps("".join(parts)).encode(), "json_string")
    ),
    st.binary(min_size=1, max_size=6)
    .filter(not_utf8)
    .map(lambda raw: (b'"' + raw + b'"', "json_invalid")),
)


def places(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON document a value stands, the document itself first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def replaced(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], tuple(rest), new)}
    return [replaced(item, tuple(rest), new) if i == head else item for i, item in enumerate(value)]


def poisoned(body: Any, path: tuple[str | int, ...], poison: bytes) -> bytes:
    marked = json.dumps(replaced(body, path, MARK)).encode()
    return marked.replace(json.dumps(MARK).encode(), poison, 1)


def test_no_operation_fails_on_generated_input(stack: Stack) -> None:
    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 22  # every route: 20 paths, /tickets and /survey with GET and POST
    calls = poisoned_calls = 0
    # Ticket ids the generator makes up would all be 404s; seed one that exists.
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": API_KEY}) as http:
        http.post(
            "/tickets",
            json={
                "ticket_id": SEEDED_TICKET,
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
        @given(case=operation.as_strategy(), data=st.data())
        def fuzz(case: schemathesis.Case, data: st.DataObject) -> None:
            nonlocal calls, poisoned_calls
            calls += 1
            if case.path_parameters and "ticket_id" in case.path_parameters and calls % 2:
                case.path_parameters["ticket_id"] = SEEDED_TICKET
            poison = None
            # SendGrid's events are checked against their signature before any JSON is read: 403.
            signed = case.path == "/webhooks/sendgrid/events"
            json_body = case.media_type == "application/json" and not signed
            if json_body and data.draw(st.booleans(), "poison"):
                poison, kind = data.draw(POISONS, "value")
                path = data.draw(st.sampled_from(places(case.body)), "place")
                case.body = poisoned(case.body, path, poison)
                if case.path_parameters:  # a made-up id could miss the route altogether
                    case.path_parameters["ticket_id"] = SEEDED_TICKET
            response = case.call_and_validate(
                base_url=stack.api_url, headers=CREDENTIALS, checks=CHECKS, timeout=40
            )
            if poison is not None:
                poisoned_calls += 1
                assert response.status_code == 422, response.text
                errors = response.json()["detail"]
                # The generated body may break the I-JSON profile elsewhere too (an unbounded
                # integer past 2**53): the poison must be among the errors, at its place.
                found = [error for error in errors if error["type"] == kind]
                assert found, errors
                if kind != "json_invalid":  # bytes that are not UTF-8 are placed by offset
                    assert ["body", *path] in [error["loc"] for error in found], errors

        fuzz()
    assert calls >= len(operations)
    # Spread over the 9 operations with a JSON body.
    assert poisoned_calls >= EXAMPLES_PER_OPERATION
