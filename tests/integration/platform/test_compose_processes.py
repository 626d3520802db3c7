"""docker-compose.yml's own services, run as local processes: each command with its compose
environment and secret files, against PostgreSQL and a real Redis, must start and pass its own
healthcheck (what crashed before: the multiprocess dir, the data dir, the token file). Every
/metrics wants the metrics token. Then a signed message goes in through the API and shows up in
the tick's gauges."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest

from tests.integration.helpers import message
from tests.integration.platform.compose_stack import METRICS_TOKEN, post_signed, sample, started
from tests.integration.platform.compose_stack import pg_database as _pg_database


@pytest.fixture
def pg_database(postgres_reason):
    yield from _pg_database(postgres_reason)


@pytest.mark.ml
@pytest.mark.usefixtures("redis_conn")
def test_every_compose_service_starts_and_passes_its_healthcheck(tmp_path, redis_server,
                                                                 pg_database):
    stack = started(tmp_path, redis_server.url, pg_database)
    try:
        # Each process serves its own metrics; team-wide gauges only from the tick.
        api = stack.get("8000", "/metrics", token=METRICS_TOKEN)
        assert "triage_build_info{" in api and "triage_inbox_backlog" not in api
        worker = stack.get("9100", "/metrics", token=METRICS_TOKEN)
        assert "triage_worker_heartbeat_timestamp_seconds" in worker and "triage_build_info{" in worker
        for port in ("9100", "9101"):  # the worker and tick ports want Prometheus's token too
            for token in (None, "not-the-token"):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    stack.get(port, "/metrics", token=token)
                assert refused.value.code == 401
        assert stack.get("8000", "/readyz").startswith('{"status":"ready"')

        # A signed message goes in through the API, a worker scores it, the tick's gauges show it.
        assert post_signed(stack.ports["8000"], message("c-1", "my parcel never arrived, hello")) == 202
        end = time.monotonic() + 120
        while True:
            tick = stack.get("9101", "/metrics", token=METRICS_TOKEN)
            backlog = sum(sample(tick, "triage_inbox_backlog", urgency=u) or 0
                          for u in ("critical", "high", "normal", "low"))
            if backlog >= 1:
                break
            assert time.monotonic() < end, tick + stack.log("worker")[-3000:]
            time.sleep(1)
        assert sample(tick, "triage_tick_heartbeat_timestamp_seconds") > time.time() - 60
        assert sample(tick, "triage_workers_alive", state="idle") + sample(
            tick, "triage_workers_alive", state="busy") >= 1
        worker = stack.get("9100", "/metrics", token=METRICS_TOKEN)
        assert 'triage_ingest_to_scored_seconds_count' in worker

        # Production logs are JSON lines; the request that stored the message carries a request id.
        api_lines = [json.loads(x) for x in stack.log("api").splitlines() if x.startswith("{")]
        assert any(line.get("request_id") for line in api_lines)
        assert "parcel" not in stack.log("api") + stack.log("worker")  # no message text at INFO
    finally:
        stack.stop()
