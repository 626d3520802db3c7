"""A webhook during a Redis outage answers 503 quickly (its own short budget), while the workers'
client keeps its patient reconnect."""

from __future__ import annotations

import signal
import time

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.integration.helpers import message, post_signed
from triage.api.app import create_app
from triage.bootstrap import build_services, connect_redis
from triage.platform.db import migrate
from triage.platform.redis_server import EmbeddedRedis


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_webhook_to_a_hung_redis_gets_a_quick_503_with_retry_after(tmp_path, db_url):
    redis = EmbeddedRedis(tmp_path / "redis").start()
    settings = make_settings(tmp_path=tmp_path, db_url=db_url, redis_url=redis.url)
    migrate(settings.sqlalchemy_url)
    services = build_services(settings, redis_client=connect_redis(redis.url))
    client = TestClient(create_app(services))
    try:
        assert post_signed(client, message("before", "hello")).status_code == 202
        redis.process.send_signal(signal.SIGSTOP)  # alive but silent: every read times out
        started = time.monotonic()
        r = post_signed(client, message("during", "hello"))
        took = time.monotonic() - started
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        assert took < 3.0, f"the 503 took {took:.1f} s"
        assert services.redis.get_retry().get_retries() >= 10  # the workers' client stays patient
    finally:
        redis.process.send_signal(signal.SIGCONT)
        services.engine.dispose()
        redis.stop()
