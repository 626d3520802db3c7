"""The admin page: users and their API tokens; deactivate, reactivate and revoke, all audited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.accounts import service as accounts
from triage.api.deps import AdminDep, ItemId, ServicesDep, SessionDep, csrf_token, session_store
from triage.api.routes.pages import templates
from triage.core.errors import DomainError, NotFound

router = APIRouter(include_in_schema=False)


def _page(request: Request, session, admin, *, error: str | None = None, status: int = 200) -> Response:
    tokens = accounts.list_tokens(session=session)
    by_user: dict[int, list[accounts.TokenInfo]] = {}
    for info in tokens:
        by_user.setdefault(info.user_id, []).append(info)
    return templates.TemplateResponse(request, "admin.html", {
        "user": admin, "csrf": csrf_token(request), "users": accounts.list_users(session=session),
        "tokens": by_user, "error": error}, status_code=status)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, admin: AdminDep) -> Response:
    """Every account with its role, state and tokens."""
    return _page(request, session, admin)


@router.post("/admin/users/{user_id}/{action}", response_class=HTMLResponse)
def user_action(user_id: ItemId, action: str, request: Request, services: ServicesDep,
                session: SessionDep, admin: AdminDep) -> Response:
    """Deactivate or reactivate from the page (a form post with the CSRF token)."""
    if action not in ("deactivate", "reactivate"):
        return _page(request, session, admin, error=f"unknown action {action[:32]!r}", status=404)
    try:
        accounts.set_active(session=session, sessions=session_store(services), user_id=user_id,
                            active=action == "reactivate", actor=admin, now=services.clock.now())
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _page(request, session, admin, error=str(exc),
                     status=404 if isinstance(exc, NotFound) else 409)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
def token_revoke(token_id: ItemId, request: Request, services: ServicesDep, session: SessionDep,
                 admin: AdminDep) -> Response:
    """Revoke one API token from the page."""
    try:
        accounts.revoke_token(session=session, token_id=token_id, actor=admin.username,
                              now=services.clock.now())
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _page(request, session, admin, error=str(exc), status=404)
    return RedirectResponse("/admin", status_code=303)
