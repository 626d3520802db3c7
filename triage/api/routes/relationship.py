"""Relationship policy, CRM facts and storm incidents (classifier issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["relationship"])
