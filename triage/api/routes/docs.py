"""Interactive API docs served from local assets (Swagger UI from the fastapi-offline wheel):
they work offline, and the page runs no inline script. In production the docs and the schema ask
for sign-in (they map every route an attacker could try); elsewhere they stay public."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse

from triage.api.deps import LoginRequired, ServicesDep, SessionDep, current_user

ASSETS = Path(fastapi_offline.__file__).parent / "static"
SCHEMA_PATH = "/api/openapi.json"
router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Triage API</title>
<link rel="stylesheet" href="/static/docs/swagger-ui.css">
<link rel="icon" href="/static/docs/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""


async def docs_reader(request: Request, services: ServicesDep, session: SessionDep) -> None:
    """Any signed-in user (cookie or token) in production; anyone in development and tests."""
    if services.settings.env == "production":
        await current_user(request, services, session)


DocsReader = Annotated[None, Depends(docs_reader)]


@router.get("/api/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request, services: ServicesDep, session: SessionDep) -> HTMLResponse:
    """The Swagger UI page; a person not signed in is sent to /login (it is a page, not an API)."""
    try:
        await docs_reader(request, services, session)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise LoginRequired() from exc
        raise
    return HTMLResponse(PAGE)


@router.get(SCHEMA_PATH)
def openapi_schema(request: Request, _reader: DocsReader) -> JSONResponse:
    """The OpenAPI document FastAPI builds from the routes."""
    return JSONResponse(request.app.openapi())
