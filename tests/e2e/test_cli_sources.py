"""`triage sources` and `triage poll` as a person runs them, against a real local feed server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.channel_server import FakePlatform, Reply, platform_fixture  # noqa: F401
from triage.intake.connectors.base import Skipped
from triage.intake.skips import SkipLog

FEED = Path(__file__).resolve().parents[1] / "fixtures" / "channels" / "rss" / "wordpress_comments.xml"


def triage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def _env(tmp_path, redis_url: str, platform: FakePlatform) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    local = {"allow_private_network": True}
    sources = {"blog": {"channel": "rss", "options": {"url": platform.url + "/feed/", **local}},
               "masto": {"channel": "mastodon", "options": {"base_url": platform.url, **local,
                                                            "access_token": "tok-s3cr3t-value"}},
               "shop": {"channel": "generic", "secret": "shop-secret-0123456789"}}
    env.update(TRIAGE_DATA_DIR=str(tmp_path / "var"), TRIAGE_REDIS_URL=redis_url,
               TRIAGE_SOURCES=json.dumps(sources), COLUMNS="200")
    return env


def test_poll_takes_new_comments_once_and_sources_shows_the_status(tmp_path, redis_server, redis_conn,
                                                                   platform):
    env = _env(tmp_path, redis_server.url, platform)
    assert triage("migrate", env=env).returncode == 0
    platform.on("GET", "/feed/", Reply(200, FEED.read_bytes()))
    platform.on("GET", "/api/v1/notifications", Reply(401, "The access token tok-s3cr3t-value expired"))
    first = triage("poll", "blog", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "blog: took 2 new message(s), 0 already known; status ok" in first.stdout
    assert "Thanks! Does the export also work on Wi" in first.stdout  # the title comes first now
    again = triage("poll", "blog", env=env)
    assert "took 0 new message(s)" in again.stdout
    expired = triage("poll", "masto", env=env)
    assert expired.returncode == 1 and "auth_expired" in expired.stdout
    assert "tok-s3cr3t-value" not in expired.stdout + expired.stderr
    SkipLog(redis_conn).record(source="shop", ignored=0, now=datetime(2026, 3, 3, 12, tzinfo=UTC),
                               skipped=[Skipped("messages[1]", "PayloadError: messages[1].author: "
                                                "Field required", '{"external_id": "bad"}')])
    table = triage("sources", env=env)
    assert table.returncode == 0
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if line.count("│") > 3}
    assert "ok" in lines["blog"] and lines["blog"].split("│")[6].strip() == "2"
    assert "auth_expired" in lines["masto"] and "listening" in lines["shop"]
    assert lines["shop"].split("│")[7].strip() == "1"  # the skipped column
    assert "tok-s3cr3t-value" not in table.stdout
    skips = triage("sources", "skips", "shop", env=env)
    assert skips.returncode == 0, skips.stdout + skips.stderr
    assert "messages[1]" in skips.stdout and "Field required" in skips.stdout
    assert "2026-03-03 12:00" in skips.stdout and '"external_id": "bad"' in skips.stdout


@pytest.mark.usefixtures("redis_conn")
def test_poll_names_unknown_and_webhook_sources(tmp_path, redis_server, platform):
    env = _env(tmp_path, redis_server.url, platform)
    triage("migrate", env=env)
    unknown = triage("poll", "nope", env=env)
    assert unknown.returncode == 2 and "no source 'nope' is configured" in unknown.stdout
    hook = triage("poll", "shop", env=env)
    assert hook.returncode == 2 and "receives webhooks" in hook.stdout
