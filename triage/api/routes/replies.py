"""Replies from the inbox out through the message's own channel, and author links."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["replies"])
