"""Channel sources: status, poll schedule, cursor (leads, admins)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["sources"])
