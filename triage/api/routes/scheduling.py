"""Staff, shifts, staffing rules, roster and hours (scheduler issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["scheduling"])
