"""HMAC helpers and timestamp parsing shared by the platform connectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from triage.intake.connectors.base import PayloadError, SignatureError


def hmac_sha256(secret: bytes, message: bytes) -> bytes:
    """Raw HMAC-SHA256 digest of `message` under `secret`."""
    return hmac.new(secret, message, hashlib.sha256).digest()


def hex_sig(secret: bytes, message: bytes, prefix: str = "sha256=") -> str:
    """'<prefix><hex digest>': the X-Hub-Signature-256 / Discourse / Slack v0 shape."""
    return prefix + hmac_sha256(secret, message).hex()


def b64_sig(secret: bytes, message: bytes) -> str:
    """'sha256=<base64 digest>': the X / Twitter CRC and webhook signature shape."""
    return "sha256=" + base64.b64encode(hmac_sha256(secret, message)).decode()


def require_match(expected: str, given: str | None, *, header_name: str) -> None:
    """Constant-time compare; raise SignatureError naming the header when absent or wrong."""
    if not given:
        raise SignatureError(f"missing {header_name} header")
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise SignatureError(f"{header_name} does not match the body")


def epoch(value: Any, *, field: str) -> datetime:
    """Unix seconds or milliseconds (int, float or numeric string) as an aware UTC datetime."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{field} is not a unix timestamp: {value!r}", field=field) from exc
    if number > 1e11:  # Meta and X send milliseconds; seconds stay below this until year 5138
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def iso(value: Any, *, field: str) -> datetime:
    """ISO-8601 with 'Z' or an offset as an aware datetime, or PayloadError naming the field."""
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be an ISO-8601 string", field=field)
    try:
        parsed = datetime.fromisoformat(value)  # 3.11+ reads the "Z" suffix
    except ValueError as exc:
        raise PayloadError(f"{field} is not ISO-8601: {value!r}", field=field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def need(obj: Any, key: str, *, field: str) -> Any:
    """obj[key] or PayloadError naming the dotted field path."""
    if not isinstance(obj, dict) or obj.get(key) in (None, ""):
        raise PayloadError(f"{field} is missing", field=field)
    return obj[key]
