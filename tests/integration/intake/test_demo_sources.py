"""The demo's polled sources for real: the blog feed over HTTP and the support mailbox in dovecot,
taken by the RSS and IMAP pollers through RQ into the inbox, under the development defaults."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.helpers import add_user, bearer, run_jobs
from triage.api.app import create_app
from triage.bootstrap import build_services
from triage.config import DEMO_BLOG, DEMO_MAILBOX, Settings
from triage.devstack.demo_inbound import publish_demo, start_demo_channels
from triage.devstack.mailbox_server import available, free_port
from triage.intake import polling
from triage.platform.db import migrate


@pytest.fixture
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="triage-demo-"))
    path.chmod(0o755)  # dovecot reads the maildir as nobody when the tests run as root
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def demo(data_dir, db_url, redis_server, redis_conn):
    if not available():
        pytest.skip("dovecot is not installed (make test installs dovecot-imapd when run as root)")
    # every port checked free, as `triage up` does: port + 1 may belong to a suite running beside us
    settings = Settings(env="development", data_dir=data_dir / "var", port=free_port(),
                        demo_blog_port=free_port(), demo_mailbox_port=free_port(),
                        database_url=db_url, redis_url=redis_server.url, scorer="rules")
    migrate(settings.sqlalchemy_url)
    services = build_services(settings, redis_client=redis_conn)
    channels = start_demo_channels(settings)
    assert channels.skipped == []
    yield services, channels
    channels.stop()
    services.engine.dispose()


def test_demo_blog_comments_and_support_mails_reach_the_inbox_through_the_pollers(demo):
    services, channels = demo
    assert set(polling.pollers(services)) == {DEMO_BLOG, DEMO_MAILBOX}
    comments, mails = publish_demo(services.settings, channels, now=datetime.now(UTC), seed=11)
    assert (comments, mails) == (6, 5)
    assert polling.enqueue_due(services=services) == 2
    run_jobs(services)
    with TestClient(create_app(services)) as client:
        lead = bearer(add_user(services, "lena", "lead"))
        blog = client.get(f"/api/inbox?source={DEMO_BLOG}&status=all", headers=lead).json()["items"]
        mail = client.get(f"/api/inbox?source={DEMO_MAILBOX}&status=all", headers=lead).json()["items"]
        statuses = {s["slug"]: s for s in client.get("/api/sources", headers=lead).json()}
    assert len(blog) == 6 and all(i["urgency"] for i in blog)
    assert any("a week of my notes is gone" in i["text"] for i in blog)
    assert len(mail) == 5
    follow_up = next(i for i in mail if i["text"].startswith("Re: Charged twice"))
    original = next(i for i in mail if i["text"].startswith("Charged twice"))
    assert follow_up["thread_id"] == "demo-11-0@mail.example.org"
    assert ">" not in follow_up["text"]  # the quoted original is stripped
    assert original["author"]["handle"] == follow_up["author"]["handle"] == "priya.nair@example.org"
    assert statuses[DEMO_BLOG]["status"] == statuses[DEMO_MAILBOX]["status"] == "ok"
    assert (statuses[DEMO_BLOG]["taken"], statuses[DEMO_MAILBOX]["taken"]) == (6, 5)


def test_a_second_demo_run_adds_only_the_new_comments_and_mails(demo):
    services, channels = demo
    publish_demo(services.settings, channels, now=datetime.now(UTC), seed=1)
    polling.enqueue_due(services=services)
    run_jobs(services)
    publish_demo(services.settings, channels, now=datetime.now(UTC), seed=2)
    for source in (DEMO_BLOG, DEMO_MAILBOX):
        report = polling.run_poll(services=services, source=source, force=True)
        assert (report.new, report.outcome) == ((6, "ok") if source == DEMO_BLOG else (5, "ok"))
