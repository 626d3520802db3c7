"""Posting signed deliveries to the generic webhook: used by the demo, benchmarks and tests."""

from __future__ import annotations

import json
import time

import httpx

from triage.intake.connectors.generic import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret.encode(), ts, body),
            "Content-Type": "application/json"}


def post(client: httpx.Client, base_url: str, source: str, secret: str,
         payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post(f"{base_url.rstrip('/')}/webhooks/{source}", content=body,
                       headers=signed_headers(secret, body))
