"""JSON request bodies must be I-JSON (RFC 7493), checked before FastAPI reads them.

Python's parser accepts what JSON does not (`NaN`, `Infinity`), reads `1e999` as infinity, keeps
lone surrogates (`"\\ud800"`, not Unicode text, so no store or provider can write them) and lets
the last of two equal keys win silently. Each of these is refused with a 422 naming its place;
a body not declared JSON gets 415."""

import json
import math
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from starter.api.deps import ApiError
from starter.api.errors import MAX_SAFE_INTEGER, text

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class BadNumber:
    """A number as written, where JSON or a double cannot carry it exactly."""

    written: str
    why: str = "Number is not finite (NaN and Infinity are not JSON)"


class JsonObject(dict[str, Any]):
    """A parsed object that remembers the keys it was given more than once."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> JsonObject:
    parsed = JsonObject(pairs)
    if len(parsed) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        parsed.repeated = tuple(key for key, count in counts.items() if count > 1)
    return parsed


def _float(written: str) -> float | BadNumber:
    value = float(written)
    if math.isfinite(value):
        return value
    return BadNumber(written, "Number is out of range of a double")


def _int(written: str) -> int | BadNumber:
    # Longer ones are out of range; not converted, as Python refuses past 4,300 digits anyway.
    value = int(written) if len(written) <= len(str(-MAX_SAFE_INTEGER)) else None
    if value is None or abs(value) > MAX_SAFE_INTEGER:
        return BadNumber(
            written, f"Integer is beyond ±{MAX_SAFE_INTEGER}, what JSON carries exactly"
        )
    return value


def _error(kind: str, loc: Location, msg: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ("body", *loc), "msg": msg, **extra}


def body_problems(body: bytes) -> list[dict[str, Any]]:
    """What makes `body` not I-JSON, in FastAPI's error shape; empty when it is."""
    try:
        document = body.decode("utf-8")
    except UnicodeDecodeError as err:
        byte = body[err.start : err.start + 1].hex()
        return [_error("json_invalid", (err.start,), f"Body is not UTF-8: {err.reason} 0x{byte}")]
    try:
        parsed = json.loads(
            document,
            object_pairs_hook=_object,
            parse_float=_float,
            parse_int=_int,
            parse_constant=BadNumber,
        )
    except json.JSONDecodeError as err:
        offset = len(document[: err.pos].encode())  # in bytes, as for a UTF-8 fault
        where = f"line {err.lineno} column {err.colno}"
        return [_error("json_invalid", (offset,), f"Invalid JSON: {err.msg} at {where}")]
    except RecursionError:
        return [_error("json_invalid", (), "Invalid JSON: nested too deeply")]
    return list(_problems_in(parsed))


def _problems_in(parsed: Any) -> Iterator[dict[str, Any]]:
    """Walks the document without recursion: a deep one must not exhaust the stack here."""
    pending: list[tuple[Location, Any]] = [((), parsed)]
    while pending:
        loc, value = pending.pop()
        if isinstance(value, BadNumber):
            yield _error("json_number", loc, value.why, input=value.written)
        elif isinstance(value, str) and not _is_unicode(value):
            yield _lone_surrogate(loc, value)
        elif isinstance(value, JsonObject):
            yield from (
                _error("json_duplicate_key", (*loc, key), "Key is given twice in one object")
                for key in value.repeated
            )
            for key in (key for key in value if not _is_unicode(key)):
                yield _lone_surrogate((*loc, key), key)
            pending += reversed([((*loc, key), item) for key, item in value.items()])
        elif isinstance(value, list):
            pending += reversed([((*loc, index), item) for index, item in enumerate(value)])


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lone_surrogate(loc: Location, value: str) -> dict[str, Any]:
    msg = "String holds a lone surrogate (half of a UTF-16 pair), which is not Unicode text"
    return _error("json_string", loc, msg, input=text(value))


def is_json(content_type: str) -> bool:
    """`application/json` or `application/<anything>+json`, as FastAPI reads them."""
    media = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class JsonBodyRoute(APIRoute):
    """A route whose JSON body is checked as I-JSON before FastAPI parses and validates it."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            body = await request.body()  # kept by the request: FastAPI reads it from there
            if body:
                content_type = request.headers.get("content-type", "")
                if not is_json(content_type):
                    shown = text(content_type)[:100] or "none"
                    raise ApiError(415, f"Content-Type must be application/json, not {shown}")
                problems = body_problems(body)
                if problems:
                    raise RequestValidationError(problems, body=body)
            return await handler(request)

        return checked
