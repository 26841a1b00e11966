"""The API never answers 500 to input (issue 10): whatever bytes a body holds, on `POST /tickets`
and on every action route, the answer is a 4xx that names the problem, in the documented shape.

Bodies are sent as raw bytes over real HTTP to the API process of the `stack` fixture."""

import json
import math
from typing import Any

import httpx
import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

from starter.api.errors import INPUT_CHARS, safe_value, validation_failed
from starter.api.tickets import ACTION_ROUTES

# No ticket has this id: a body that got past validation would be answered 404.
ABSENT = "NO-SUCH-TICKET"
# A valid body for each route, and the field the tests spoil.
VALID: dict[str, tuple[dict[str, Any], str]] = {
    "/tickets": (
        {
            "ticket_id": "ERR-1",
            "customer": {"name": "Ada", "email": "ada@example.com"},
            "subject": "Webhook signatures rejected",
            "description": "Every signature fails.",
        },
        "subject",
    ),
    "acknowledge": ({"agent": "sam"}, "agent"),
    "respond": ({"agent": "sam", "message": "Looking"}, "message"),
    "attempts": ({"agent": "sam", "action": "rotate key", "succeeded": False}, "action"),
    "escalate": ({"by": "sam", "reason": "other"}, "by"),
    "resolve": ({"by": "sam", "resolution": "Fixed"}, "resolution"),
    "reopen": ({"by": "ada", "reason": "back"}, "reason"),
    "messages": ({"message": "Any news?"}, "message"),
    "survey": ({"score": 5}, "score"),
    "priority": ({"by": "lead", "priority": "P2", "reason": "wider impact"}, "reason"),
    "category": ({"by": "lead", "category": "system_outages", "reason": "SSO"}, "category"),
    "assignee": ({"by": "lead", "agent": "sam"}, "agent"),
}
ROUTES = ["/tickets", *(f"/tickets/{ABSENT}/{segment}" for segment in ACTION_ROUTES)]
JSON = {"Content-Type": "application/json"}


def valid(route: str) -> tuple[dict[str, Any], str]:
    return VALID[route if route == "/tickets" else route.rsplit("/", 1)[1]]


def raw_object(pairs: list[tuple[str, bytes]]) -> bytes:
    """A JSON object written pair by pair, so a value (or a key) may be anything."""
    return (
        b"{" + b", ".join(json.dumps(key).encode() + b": " + value for key, value in pairs) + b"}"
    )


def spoiled(route: str, value: bytes, field: str | None = None) -> bytes:
    """The route's valid body with `field` (by default the spoiled one) set to the raw `value`."""
    body, spoiled_field = valid(route)
    field = field or spoiled_field
    kept = [(key, json.dumps(item).encode()) for key, item in body.items() if key != field]
    return raw_object([*kept, (field, value)])


async def post(
    http: httpx.AsyncClient, route: str, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    response = await http.post(route, content=body, headers=JSON if headers is None else headers)
    assert response.status_code != 500, response.text
    return response


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a 422 in FastAPI's shape (`detail`: a list of loc, msg, type)."""
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert all({"loc", "msg", "type"} <= error.keys() for error in errors), errors
    return errors


def only_error(response: httpx.Response) -> dict[str, Any]:
    errors = errors_of(response)
    assert len(errors) == 1, errors
    return errors[0]


def test_every_action_route_has_a_body_here() -> None:
    assert VALID.keys() - {"/tickets"} == ACTION_ROUTES.keys()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "90071992547409930"]
)
async def test_a_number_json_cannot_carry_exactly_is_422_naming_the_field(
    http: httpx.AsyncClient, route: str, number: str
) -> None:
    _, field = valid(route)
    error = only_error(await post(http, route, spoiled(route, number.encode())))
    assert error["loc"] == ["body", field]
    assert (error["type"], error["input"]) == ("json_number", number)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("text", ["\\ud800", "\\udfff", "ok \\udc00 ok", "\\ude00\\ud83d"])
async def test_a_lone_surrogate_is_422_naming_the_field(
    http: httpx.AsyncClient, route: str, text: str
) -> None:
    _, field = valid(route)
    error = only_error(await post(http, route, spoiled(route, f'"{text}"'.encode())))
    assert error["loc"] == ["body", field]
    # Echoed as the JSON escape the client wrote.
    assert (error["type"], error["input"]) == ("json_string", text)


@pytest.mark.parametrize("route", ROUTES)
async def test_a_lone_surrogate_in_a_key_is_422_naming_the_key(
    http: httpx.AsyncClient, route: str
) -> None:
    error = only_error(await post(http, route, spoiled(route, b"1", field="\ud800")))
    assert error["loc"] == ["body", "\\ud800"] and error["type"] == "json_string"


async def test_a_surrogate_pair_is_text(http: httpx.AsyncClient) -> None:
    route = f"/tickets/{ABSENT}/acknowledge"
    response = await post(http, route, spoiled(route, b'"sam \\ud83d\\ude00"'))
    assert response.status_code == 404  # past validation: the ticket does not exist


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "bad",
    [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82", b"\xc0\xaf"],
    ids=["ff", "bad-continuation", "encoded-surrogate", "truncated", "overlong"],
)
async def test_bytes_that_are_not_utf8_are_422_at_their_offset(
    http: httpx.AsyncClient, route: str, bad: bytes
) -> None:
    body = spoiled(route, b'"ab' + bad + b'cd"')
    error = only_error(await post(http, route, body))
    assert error["loc"] == ["body", body.index(bad)]
    assert error["type"] == "json_invalid" and "UTF-8" in error["msg"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "body",
    [b"not json", b"{", b"{'agent': 'sam'}", b'{"a": 1} {}', b"\xef\xbb\xbf{}", b"[" * 100_000],
    ids=["text", "unclosed", "single-quotes", "two-documents", "bom", "deep"],
)
async def test_a_body_that_is_not_json_is_422_saying_why(
    http: httpx.AsyncClient, route: str, body: bytes
) -> None:
    error = only_error(await post(http, route, body))
    assert error["loc"][0] == "body" and error["type"] == "json_invalid"
    assert "JSON" in error["msg"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("body", [b"[]", b"null", b"3", b'"text"', b"true", b"[{}]"])
async def test_json_that_is_not_an_object_is_422_naming_the_body(
    http: httpx.AsyncClient, route: str, body: bytes
) -> None:
    error = only_error(await post(http, route, body))
    assert error["loc"] == ["body"] and "dictionary" in error["msg"]


@pytest.mark.parametrize("route", ROUTES)
async def test_an_empty_body_is_422_body_missing(http: httpx.AsyncClient, route: str) -> None:
    error = only_error(await post(http, route, b""))
    assert (error["loc"], error["type"]) == (["body"], "missing")


@pytest.mark.parametrize("route", ROUTES)
async def test_a_key_given_twice_is_422_naming_it(http: httpx.AsyncClient, route: str) -> None:
    body, field = valid(route)
    pairs = [(key, json.dumps(value).encode()) for key, value in body.items()]
    twice = raw_object([*pairs, (field, json.dumps(body[field]).encode())])
    error = only_error(await post(http, route, twice))
    assert (error["loc"], error["type"]) == (["body", field], "json_duplicate_key")


async def test_a_nested_key_given_twice_is_422_naming_its_path(http: httpx.AsyncClient) -> None:
    customer = b'{"name": "Ada", "email": "a@example.com", "email": "b@example.com"}'
    error = only_error(await post(http, "/tickets", spoiled("/tickets", customer, "customer")))
    assert error["loc"] == ["body", "customer", "email"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", None),
        (None, None),
        ("application/x-www-form-urlencoded", None),  # what `curl -d` sends
        ("text/plain", b"\xff\xfe"),
    ],
)
async def test_a_body_that_is_not_declared_json_is_415(
    http: httpx.AsyncClient, route: str, content_type: str | None, body: bytes | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await post(http, route, body or json.dumps(valid(route)[0]).encode(), headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


async def test_a_charset_parameter_is_still_json(http: httpx.AsyncClient) -> None:
    route = f"/tickets/{ABSENT}/acknowledge"
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = await post(http, route, b'{"agent": "sam"}', headers)
    assert response.status_code == 404


async def test_long_values_are_cut_in_the_echo(http: httpx.AsyncClient) -> None:
    route = f"/tickets/{ABSENT}/survey"
    error = only_error(await post(http, route, b'{"score": "' + b"9" * 50_000 + b'"}'))
    assert error["loc"] == ["body", "score"]
    assert error["input"] == "9" * INPUT_CHARS + "…"
    # A missing field echoes the whole object: cut as its JSON text.
    description = "d" * 20_000
    response = await post(http, "/tickets", json.dumps({"description": description}).encode())
    inputs = [error["input"] for error in errors_of(response)]
    assert inputs and all(isinstance(i, str) and len(i) <= INPUT_CHARS + 1 for i in inputs)


class Reading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    value: int


async def test_the_handler_renders_any_value_pydantic_reports() -> None:
    # Values a JSON body can no longer carry (the body check refuses them) but a validation
    # error could still hold: the 422 is valid JSON whatever they are.
    bad = {"name": float("nan"), "value": float("-inf"), "extra": b"\xff" * 500}
    with pytest.raises(ValidationError) as caught:
        Reading.model_validate(bad)
    errors = [{**e, "loc": ("body", *e["loc"])} for e in caught.value.errors()]
    errors.append({"type": "x", "loc": ("body", "\udfff"), "msg": "bad \ud800", "input": {}})
    response = await validation_failed(None, RequestValidationError(errors))  # type: ignore[arg-type]
    rendered = json.loads(response.body)["detail"]
    assert response.status_code == 422
    assert [e["input"] for e in rendered[:2]] == ["NaN", "-Infinity"]
    assert rendered[2]["loc"] == ["body", "extra"]
    assert rendered[2]["input"] == "\\xff" * (INPUT_CHARS // 4) + "…"
    assert rendered[-1]["loc"] == ["body", "\\udfff"] and rendered[-1]["msg"] == "bad \\ud800"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (math.inf, "Infinity"),
        ("a\ud800b", "a\\ud800b"),
        (b"\xff", "\\xff"),
        (10**400, str(10**400)[:INPUT_CHARS] + "…"),
        ([1.5, None, True, {"k": math.nan}], [1.5, None, True, {"k": "NaN"}]),
        ({"\ud800": 1}, {"\\ud800": 1}),
        (ValueError("no"), "no"),
        (list(range(1000)), json.dumps(list(range(1000)))[:INPUT_CHARS] + "…"),
    ],
)
def test_safe_value_is_json_a_client_can_read(value: object, shown: object) -> None:
    assert safe_value(value) == shown
    json.dumps(safe_value(value), allow_nan=False).encode()
