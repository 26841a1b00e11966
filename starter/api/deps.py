"""What every route shares: the Temporal client, the settings, errors and API-key checks."""

import hmac
from typing import Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader
from temporalio.client import Client

from starter.api.settings import ApiSettings

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of API_KEYS")


class ApiError(Exception):
    """A failure with the status and the reason the caller sees."""

    def __init__(
        self,
        status: int,
        detail: str | list[dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def invalid(source: str, reason: str) -> ApiError:
    """A 422 in FastAPI's own shape (`loc` names the field) for checks made after parsing;
    `reason` reads `field.path: why`, as the contract's validation messages do."""
    field, _, why = reason.partition(": ")
    loc = [source, *field.split(".")] if why else [source]
    return ApiError(422, [{"loc": loc, "msg": why or reason, "type": "value_error"}])


def temporal(request: Request) -> Client:
    return request.app.state.temporal


def settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def known_key(request: Request, key: str | None) -> bool:
    if not key:
        return False
    # compare_digest on every key: the time taken does not tell how much of a key matched.
    return any(hmac.compare_digest(key.encode(), k.encode()) for k in settings(request).api_keys)


def require_api_key(request: Request, key: str | None = Security(API_KEY_HEADER)) -> None:
    if not known_key(request, key):
        raise ApiError(401, "missing or unknown X-API-Key")
