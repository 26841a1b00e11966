"""The HTTP intake API: app factory, API-key authentication, body limit and error mapping.

Routes live in starter/api/tickets.py (tickets and alerts), starter/api/voice.py (Twilio) and
starter/api/docs.py (the docs, behind the key); the error contract is docs/http-api-errors.md."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client
from temporalio.service import RPCError

from starter.api import delivery, inbound, survey, tickets, voice
from starter.api.deps import ApiError, require_api_key, temporal
from starter.api.docs import docs_router
from starter.api.errors import validation_failed
from starter.api.models import Health, Problem
from starter.api.settings import ApiSettings
from temporal_setup.connection import connect


class BodyLimit:
    """Refuse request bodies over the limit with 413 before any route reads them; `paths` gives
    some routes limits of their own (emails with attachments are larger than any JSON body)."""

    def __init__(self, app: ASGIApp, limit: int, paths: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit, scope, receive, send)
            return
        # Chunked bodies have no length: read up to the limit, then replay what was read.
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _too_large(limit, scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body)), send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": f"request body over {limit} bytes"}, 413)
    await response(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _api_error(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    return JSONResponse({"detail": err.detail}, err.status, headers=err.headers)


async def _rpc_error(_request: Request, err: Exception) -> JSONResponse:
    # Temporal refused or is unreachable: the request may succeed later, so 503, not 500.
    assert isinstance(err, RPCError)
    return JSONResponse({"detail": f"Temporal: {err.message}"}, 503)


def create_app(
    api_settings: ApiSettings, connector: Callable[[], Awaitable[Client]] = connect
) -> FastAPI:
    """The app; `connector` gives the Temporal client when the app starts (in its own loop)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.temporal = await connector()
        yield

    app = FastAPI(
        title="Support escalation API",
        version="1.0.0",
        description=(
            "Open support tickets and act on them; each ticket is a Temporal workflow. "
            "Every route needs X-API-Key but /healthz, the provider webhooks (Twilio signs its "
            "own, SendGrid sends HTTP Basic credentials) and the customer's survey pages (the "
            "signed token in the URL is the credential). Refused input is a 422 naming each "
            "field in `loc` (docs/http-api-errors.md in the repository)."
        ),
        lifespan=lifespan,
        # Served by docs_router, behind the API key.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        responses={413: {"model": Problem}, 503: {"model": Problem}},
    )
    app.state.settings = api_settings
    app.add_middleware(
        BodyLimit,
        limit=api_settings.max_body_bytes,
        paths={inbound.PATH: api_settings.inbound_max_bytes},
    )
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RPCError, _rpc_error)
    app.add_exception_handler(RequestValidationError, validation_failed)
    authenticated: Any = [Depends(require_api_key)]
    app.include_router(
        tickets.router, dependencies=authenticated, responses={401: {"model": Problem}}
    )
    app.include_router(voice.router)
    app.include_router(delivery.router)
    app.include_router(inbound.router)
    app.include_router(survey.router)
    app.include_router(docs_router(app))

    @app.get("/healthz", tags=["health"])
    async def healthz(request: Request) -> Health:
        """Liveness and Temporal reachability; needs no API key."""
        try:
            await temporal(request).service_client.check_health()
        except RPCError as err:
            raise ApiError(503, f"Temporal unreachable: {err.message}") from err
        return Health(status="ok", temporal="reachable")

    return app
