"""The API's operational edges: liveness and readiness, the request id, and who may read /metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from tests.integration.helpers import add_user, bearer
from triage.api.app import create_app

METRICS_TOKEN = "prometheus-scrape-token-0123456789"


def test_livez_and_readyz_answer_without_auth(client):
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok" and ready.json()["redis"] == "ok"


def test_readyz_is_503_on_a_database_without_our_schema_while_livez_stays_up(services):
    with services.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    with TestClient(create_app(services)) as c:
        not_ready = c.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["database"].startswith("down")
        assert c.get("/livez").status_code == 200


def test_every_answer_carries_a_request_id_and_a_safe_one_from_the_caller_is_echoed(client):
    fresh = client.get("/livez").headers["X-Request-ID"]
    assert len(fresh) == 32
    assert client.get("/livez", headers={"X-Request-ID": "lb-7f3a"}).headers["X-Request-ID"] == "lb-7f3a"
    forged = client.get("/livez", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert forged != "x" * 500 and len(forged) == 32
    assert client.get("/api/inbox").headers["X-Request-ID"]  # errors carry one too (401 here)


def test_prometheus_reads_metrics_with_its_token_and_a_wrong_token_is_refused(services):
    services.settings = services.settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    with TestClient(create_app(services)) as c:
        ok = c.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert ok.status_code == 200 and "triage_inbox_backlog" in ok.text
        assert c.get("/metrics", headers=bearer("not-the-token")).status_code == 401
        assert c.get("/metrics").status_code == 401
        # the metrics token opens /metrics only, nothing else
        assert c.get("/api/inbox", headers=bearer(METRICS_TOKEN)).status_code == 401


def test_an_api_replica_without_live_metrics_serves_no_team_wide_gauges(services):
    token = add_user(services, "watcher", "agent")
    services.settings = services.settings.model_copy(update={"live_metrics": False})
    with TestClient(create_app(services)) as c:
        body = c.get("/metrics", headers=bearer(token)).text
    assert "triage_inbox_backlog" not in body and "triage_queue_depth" not in body
    assert "triage_http_request_duration_seconds" in body
