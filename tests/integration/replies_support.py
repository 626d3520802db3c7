"""Shared set-up for the outbox tests: a fixed clock, live or dry-run sources, scored messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.integration.helpers import add_user, bearer, run_jobs
from triage import pipeline
from triage.api.app import create_app
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.core.message import Author, Message
from triage.platform import tables as t
from triage.platform.tables_replies import Reply

TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # business hours (default rules: UTC 09-18)
FRIDAY_20 = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # after hours, before a weekend
MONDAY_9 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
COMPLAINT = "My order never arrived, where is my refund?"  # high urgency under the rule scorer


def sources(platform_url: str = "http://127.0.0.1:9", smtp=None) -> dict[str, SourceSettings]:
    """A Mastodon account (the local platform server) and an e-mail box (a local aiosmtpd)."""
    found = {"masto": SourceSettings(channel="mastodon", secret="masto-secret-0123456789",
                                     options={"base_url": platform_url, "access_token": "mtok"}),
             "shop": SourceSettings(channel="generic", secret="shop-secret-0123456789")}
    if smtp is not None:
        found["mail"] = SourceSettings(
            channel="imap", secret="mail-secret-0123456789",
            options={"host": "imap.invalid", "username": "support@example.com", "password": "x",
                     "allow_private_network": True,  # the local aiosmtpd, as the mailbox allows
                     "reply": {"host": smtp.host, "port": smtp.port, "security": "none",
                               "username": "cm", "password": "smtp-pw",
                               "from_address": "support@example.com"}})
    return found


@pytest.fixture(name="make_services")
def make_services_fixture(tmp_path, db_url, redis_server, redis_conn):
    """Build a service graph with the given sources and reply mode, on a fixed clock."""
    from triage.bootstrap import build_services
    from triage.platform.db import migrate

    built = []

    def make(*, mode: str = "dry-run", at: datetime = TUESDAY_10, **source_kw):
        settings = make_settings(tmp_path=tmp_path, db_url=db_url, redis_url=redis_server.url,
                                 reply_mode=mode)
        settings.sources.update(sources(**source_kw))
        migrate(settings.sqlalchemy_url)
        svc = build_services(settings, redis_client=redis_conn, clock=FixedClock(at))
        built.append(svc)
        return svc

    yield make
    for svc in built:
        svc.engine.dispose()


def arrive(services, source: str, external_id: str, text: str = COMPLAINT, *,
           thread: str | None = None, author: Author | None = None, raw: dict | None = None) -> int:
    """A message arrives now (the services' clock), is drained, scored and routed; its id."""
    author = author or Author(id="109", handle="sam", name="Sam")
    msg = Message(source=source, external_id=external_id, thread_id=thread or external_id,
                  author=author, text=text, created_at=services.clock.now(), raw=raw or {})
    services.buffer.accept([(source, external_id, msg.model_dump_json())])
    pipeline.drain_ingest(services=services)
    run_jobs(services)
    with services.db() as session:
        return session.query(t.Message.id).filter_by(source=source,
                                                     external_id=external_id).scalar()


def reply_row(services, reply_id: int) -> Reply:
    with services.db() as session:
        return session.get(Reply, reply_id)


def item_status(services, message_id: int) -> str:
    with services.db() as session:
        return session.get(t.Message, message_id).status


class Api:
    """The API as a test client with a signed-in role."""

    def __init__(self, services):
        self.client = TestClient(create_app(services))
        self.tokens = {"agent": add_user(services, "ana"), "agent2": add_user(services, "bo"),
                       "lead": add_user(services, "lee", "lead")}

    def post(self, path: str, as_: str = "agent", **kw):
        return self.client.post(path, headers=bearer(self.tokens[as_]), **kw)

    def get(self, path: str, as_: str = "agent", **kw):
        return self.client.get(path, headers=bearer(self.tokens[as_]), **kw)

    def reply(self, message_id: int, text: str, as_: str = "agent", **body):
        return self.post(f"/api/messages/{message_id}/reply", as_, json={"text": text, **body})
