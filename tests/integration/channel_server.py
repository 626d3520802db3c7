"""A real local HTTP server (stdlib, 127.0.0.1, random port) playing a platform's API in tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


@dataclass
class Reply:
    """One canned answer: status, headers and a body (dict/list are sent as JSON)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        return (self.body.encode() if isinstance(self.body, str) else self.body), headers


@dataclass
class Seen:
    """A request as the server received it, for assertions on method, path, auth and body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Seen], Reply]


class FakePlatform:
    """Routes (method, path) to queued replies or a function; records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply] | Handler] = {}
        self.requests: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Queue replies for a route (the last one repeats), or give one function."""
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            self.routes[(method, path)] = replies[0]
        else:
            self.routes[(method, path)] = list(replies)

    def start(self) -> FakePlatform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, seen: Seen) -> Reply:
        self.requests.append(seen)
        route = self.routes.get((seen.method, seen.path))
        if route is None:
            return Reply(404, {"error": f"no route {seen.method} {seen.path}"})
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, parts.path, parse_qs(parts.query),
                            dict(self.headers.items()), self.rfile.read(length))
                reply = platform._answer(seen)
                body, headers = reply.encoded()
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return _Handler


@pytest.fixture(name="platform")
def platform_fixture() -> Iterator[FakePlatform]:
    """A started FakePlatform, stopped after the test."""
    server = FakePlatform().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="http")
def http_fixture() -> Iterator[httpx.Client]:
    """The httpx client a poller or replier is given, with a short timeout."""
    with httpx.Client(timeout=5.0) as client:
        yield client


def mastodon_timeline(server: FakePlatform, notes: list[dict], path: str) -> Handler:
    """Serve `notes` like Mastodon: max_id/since_id/min_id windows, newest first, Link header."""
    ordered = sorted(notes, key=lambda n: int(n["id"]))

    def serve(seen: Seen) -> Reply:
        limit = int(seen.arg("limit") or 20)
        ids = [int(n["id"]) for n in ordered]
        items = ordered
        if seen.arg("max_id"):
            items = [n for n, i in zip(ordered, ids, strict=False) if i < int(seen.arg("max_id"))]
        if seen.arg("since_id"):
            items = [n for n in items if int(n["id"]) > int(seen.arg("since_id"))]
        if seen.arg("min_id"):  # the page immediately newer than min_id
            page = [n for n in items if int(n["id"]) > int(seen.arg("min_id"))][:limit]
        else:
            page = items[-limit:]
        page = list(reversed(page))
        headers = {}
        if page:
            base = f"{server.url}{path}?types%5B%5D=mention&limit={limit}"
            headers["Link"] = (f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}&min_id={page[0]["id"]}>; rel="prev"')
        return Reply(200, page, headers)

    return serve
