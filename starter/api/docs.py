"""`/docs`, `/redoc` and `/openapi.json` for holders of an API key, like every route but `/healthz`.

A browser opening /docs cannot add an X-API-Key header, so these three also take the key as the
password of HTTP Basic: the browser asks for it once and sends it again with the page's own
request for the schema. The key never goes into a URL, where access logs and history keep it."""

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from starter.api.deps import API_KEY_HEADER, ApiError, known_key

OPENAPI_URL = "/openapi.json"
REALM = "API docs (any user name, an API key as the password)"
BASIC = HTTPBasic(auto_error=False, realm=REALM)


def require_docs_key(
    request: Request,
    header: Annotated[str | None, Security(API_KEY_HEADER)],
    basic: Annotated[HTTPBasicCredentials | None, Security(BASIC)],
) -> None:
    if known_key(request, header) or (basic and known_key(request, basic.password)):
        return
    raise ApiError(
        401,
        "missing or unknown API key: send X-API-Key, or the key as the HTTP Basic password",
        headers={"WWW-Authenticate": f'Basic realm="{REALM}"'},
    )


def schema_url(request: Request) -> str:
    """Where the page fetches the schema, behind a proxy's path prefix too (as FastAPI does)."""
    return request.scope.get("root_path", "").rstrip("/") + OPENAPI_URL


def docs_router(app: FastAPI) -> APIRouter:
    """The routes FastAPI would add itself (created with them off), behind the key."""
    router = APIRouter(include_in_schema=False, dependencies=[Depends(require_docs_key)])

    @router.get(OPENAPI_URL)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=schema_url(request), title=f"{app.title} - Swagger UI"
        )

    @router.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=schema_url(request), title=f"{app.title} - ReDoc")

    return router
