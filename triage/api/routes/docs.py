"""Interactive API docs served from local assets (Swagger UI from the fastapi-offline wheel):
they work offline, and the page runs no inline script. In production the docs and the schema ask
for sign-in (they map every route an attacker could try); elsewhere they stay public."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
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


# Our own 422s (a domain rule refused the input) carry a sentence or an object in `detail`, beside
# FastAPI's list of field errors: the document says so, so clients and schemathesis expect both.
ERROR_DETAIL = {"title": "ErrorDetail", "type": "object", "required": ["detail"],
                "properties": {"detail": {"title": "Detail", "description": "why the input was "
                                          "refused: a sentence, or an object naming the problems"}}}


def document(app: FastAPI) -> dict:
    """The OpenAPI document FastAPI builds from the routes, with the 422 our domain errors give."""
    doc = app.openapi()
    if "ErrorDetail" not in doc.get("components", {}).get("schemas", {}):
        doc.setdefault("components", {}).setdefault("schemas", {})["ErrorDetail"] = ERROR_DETAIL
        for operation in (op for ops in doc.get("paths", {}).values() for op in ops.values()):
            content = operation.get("responses", {}).get("422", {}).get("content", {})
            for media in content.values():
                media["schema"] = {"anyOf": [media["schema"],
                                             {"$ref": "#/components/schemas/ErrorDetail"}]}
    return doc


@router.get(SCHEMA_PATH)
def openapi_schema(request: Request, _reader: DocsReader) -> JSONResponse:
    """The OpenAPI document (see `document`)."""
    return JSONResponse(document(request.app))
