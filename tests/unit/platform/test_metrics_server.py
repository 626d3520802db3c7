"""The worker and tick /metrics port: loopback unless told, a bearer token when one is set, and a
/livez the container healthcheck reads without it."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import pytest

from triage.platform import metrics

TOKEN = "s" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def own_address() -> str | None:
    """This machine's outward IPv4 address (a UDP connect sends nothing), None when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def get(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for _ in range(50):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except ConnectionRefusedError:  # the server thread is still starting
            time.sleep(0.05)
    raise AssertionError("metrics server never answered")


def test_with_a_token_only_its_bearer_reads_the_metrics_and_livez_stays_open():
    port = free_port()
    live = metrics.LiveCollector(lambda: {"gaps_open": {"": 2.0}})
    metrics.serve(port, token=TOKEN, live=live)
    assert get(port, "/metrics")[0] == 401
    assert get(port, "/metrics", token="s" * 39)[0] == 401
    status, body = get(port, "/metrics", token=TOKEN)
    assert status == 200 and "triage_coverage_gaps_open 2.0" in body
    assert get(port, "/livez") == (200, "ok\n")


def test_without_a_token_it_listens_on_loopback_only():
    port = free_port()
    metrics.serve(port)
    assert get(port, "/metrics")[0] == 200
    outside = own_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(2)
        s.connect((outside, port))
