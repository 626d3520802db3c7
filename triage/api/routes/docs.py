"""Interactive API docs served from local assets (Swagger UI from the fastapi-offline wheel):
they work offline, and the page runs no inline script."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Triage API</title>
<link rel="stylesheet" href="/static/docs/swagger-ui.css">
<link rel="icon" href="/static/docs/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/static/docs/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body></html>"""


@router.get("/api/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(PAGE)
