"""The FastAPI application: routers, sessions, error mapping and request metrics."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from triage.api.browser_safety import SecurityHeaders
from triage.api.deps import LoginRequired
from triage.api.routes import (
    admin,
    authors,
    bulk,
    canned,
    docs,
    health,
    inbox_api,
    inbox_pages,
    oversight,
    pages,
    relationship,
    replies,
    scheduling,
    sources,
    users,
    webhooks,
)
from triage.api.routes import metrics as metrics_route
from triage.bootstrap import Services, build_services
from triage.config import get_settings
from triage.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from triage.platform import logs, metrics

STATUS = {NotFound: 404, Conflict: 409, Forbidden: 403, Invalid: 422}


def create_app(services: Services | None = None) -> FastAPI:
    """Build the app around a service graph (the settings' one unless a test passes its own)."""
    services = services or build_services(get_settings())
    # The docs routes are ours (docs.py), so production can put them behind sign-in.
    app = FastAPI(title="Triage", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    settings = services.settings
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key.get_secret_value(),
                       session_cookie="triage_session", max_age=settings.session_max_age,
                       same_site="lax", https_only=settings.env == "production")
    app.add_middleware(SecurityHeaders)  # outermost: error pages and static files get them too

    @app.middleware("http")
    async def _timing(request: Request, call_next):
        started = time.perf_counter()
        rid = logs.request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        logs.clear()
        logs.bind(request_id=rid)
        response = await call_next(request)
        route = request.scope.get("route")
        metrics.HTTP_SECONDS.labels(method=request.method, route=getattr(route, "path", "other"),
                                    status=str(response.status_code)).observe(
            time.perf_counter() - started)
        response.headers[logs.REQUEST_ID_HEADER] = rid
        return response

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, _exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError):
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    for module in (health, webhooks, metrics_route, inbox_api, users, relationship, scheduling,
                   sources, replies, canned, bulk, authors, pages, inbox_pages, oversight, admin):
        app.include_router(module.router)
    app.include_router(docs.router)
    app.mount("/static/docs", StaticFiles(directory=docs.ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def app_from_env() -> FastAPI:
    """Uvicorn factory entry point: `uvicorn --factory triage.api.app:app_from_env`."""
    settings = get_settings()
    logs.setup(json=settings.json_logs, level=settings.log_level)  # each uvicorn worker process
    metrics.announce_build()
    return create_app()
