"""The 422 a client gets for input the API refuses: FastAPI's documented shape (`detail`: a list of
`loc`, `msg`, `type`, `input`, `ctx`), with every value made into JSON a client can read.

FastAPI's own handler echoes the input as it is, and fails (500) when it cannot be written as
JSON: a non-finite number, a lone surrogate, bytes that are not UTF-8."""

import json
import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# An echoed value is cut past this many characters: it helps find the field, not restore the body.
INPUT_CHARS = 200
# A body can hold thousands of faults; the first ones are enough to fix it.
MAX_ERRORS = 100
# Containers nest deeper than this only in bodies built to hurt; deeper levels show as "…".
MAX_DEPTH = 8
# Integers past I-JSON's (RFC 7493) exact range are shown as text, as JavaScript would lose them.
MAX_SAFE_INTEGER = 2**53 - 1
CUT = "…"
NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def text(value: str) -> str:
    """The string with lone surrogates written as their escapes (`\\ud800`): valid UTF-8."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def cut(value: str) -> str:
    return value if len(value) <= INPUT_CHARS else value[:INPUT_CHARS] + CUT


def safe_value(value: object, depth: int = 0) -> Any:
    """`value` as JSON that can always be written: non-finite numbers as their JSON-ish names,
    text without lone surrogates, bytes decoded with escapes, long values cut."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else _big_integer(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else NON_FINITE.get(value, "NaN")
    if isinstance(value, bytes | bytearray):
        return cut(bytes(value).decode("utf-8", "backslashreplace"))
    if isinstance(value, dict | list | tuple):
        return _container(value, depth)
    return cut(text(str(value)))


def _big_integer(value: int) -> str:
    try:
        return cut(str(value))
    except ValueError:  # past Python's limit on digits converted
        return f"an integer of {value.bit_length()} bits"


def _container(value: dict[Any, Any] | list[Any] | tuple[Any, ...], depth: int) -> Any:
    if depth >= MAX_DEPTH:
        return CUT
    if isinstance(value, dict):
        shown: Any = {text(str(k)): safe_value(v, depth + 1) for k, v in value.items()}
    else:
        shown = [safe_value(item, depth + 1) for item in value]
    written = json.dumps(shown, ensure_ascii=False)
    return shown if len(written) <= INPUT_CHARS else cut(written)


def safe_error(error: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "type": text(str(error["type"])),
        "loc": [part if isinstance(part, int) else text(str(part)) for part in error["loc"]],
        "msg": text(str(error["msg"])),
    }
    if "input" in error:
        shown["input"] = safe_value(error["input"])
    if "ctx" in error:
        shown["ctx"] = {text(str(k)): safe_value(v) for k, v in error["ctx"].items()}
    return shown


async def validation_failed(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    errors = [safe_error(error) for error in err.errors()[:MAX_ERRORS]]
    return JSONResponse({"detail": errors}, 422)
