"""Logs: JSON lines with the bound request or job id in production, a console format otherwise,
RQ's per-job chatter quiet at INFO, and caller-supplied request ids only when they are safe."""

from __future__ import annotations

import io
import json
import logging

import pytest

from triage.platform import logs


@pytest.fixture
def stream():
    out = io.StringIO()
    yield out
    logs.clear()
    logging.getLogger().handlers[:] = []


def test_a_json_line_carries_the_bound_request_id_and_the_event(stream):
    logs.setup(json=True, level="INFO", stream=stream)
    logs.bind(request_id="abc123")
    logs.get("triage.test").info("claimed", item_id=7)
    logging.getLogger("uvicorn.access").info("GET /inbox 200")  # stdlib loggers: the same format
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["event"], first["item_id"], first["request_id"], first["level"]) == (
        "claimed", 7, "abc123", "info")
    assert second["event"] == "GET /inbox 200" and second["request_id"] == "abc123"


def test_the_development_format_is_readable_text_not_json(stream):
    logs.setup(json=False, level="INFO", stream=stream)
    logs.get("triage.test").warning("poll failed", source="blog")
    line = stream.getvalue().strip()
    assert "poll failed" in line and "source=blog" in line and not line.startswith("{")


def test_rq_job_chatter_is_quiet_at_info_but_its_warnings_remain(stream):
    logs.setup(json=True, level="INFO", stream=stream)
    logging.getLogger("rq.worker").info("default: Job OK (1234)")
    logging.getLogger("rq.worker").warning("moving job to failed registry")
    assert [json.loads(x)["event"] for x in stream.getvalue().splitlines()] == [
        "moving job to failed registry"]
    assert logs.rq_level("INFO") == "WARNING" and logs.rq_level("DEBUG") == "DEBUG"


@pytest.mark.parametrize("hostile", ["a\nforged: line", "x" * 65, "<script>", "", None, "id with space"])
def test_an_unsafe_or_missing_request_id_is_replaced(hostile):
    assert logs.request_id(hostile, new=lambda: "fresh") == "fresh"


def test_a_safe_request_id_from_a_proxy_is_kept():
    assert logs.request_id("req-42_a.b:c", new=lambda: "fresh") == "req-42_a.b:c"
