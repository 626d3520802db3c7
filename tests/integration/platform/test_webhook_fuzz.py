"""Hostile bodies, correctly signed, to every webhook channel: never a 5xx, nothing lost."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_SECRET, make_settings
from triage import pipeline
from triage.api.app import create_app
from triage.bootstrap import build_services
from triage.config import SourceSettings
from triage.devstack.webhook_client import signed_headers
from triage.intake.connectors.signing import b64_sig, hex_sig
from triage.platform.db import migrate

SECRET = "fuzz-secret-0123456789abcdef"
# Names the connectors look for, so random shapes reach deep into their parsers, not just the top.
KEYS = ["messages", "external_id", "text", "author", "id", "followers", "created_at", "thread_id",
        "url", "raw", "event", "type", "user", "ts", "channel", "entry", "changes", "value", "field",
        "messaging", "message", "sender", "from", "time", "object", "post", "topic_id", "cooked",
        "raw", "username", "tweet_create_events", "direct_message_events", "for_user_id",
        "timestamp_ms", "created_timestamp", "message_create", "sender_id", "message_data",
        "in_reply_to_status_id_str", "id_str", "full_text", "screen_name", "followers_count",
        "challenge", "event_id", "event_time", "bot_id", "thread_ts", "comment_id", "verb", "item"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=30), st.sampled_from(["", "\x00", "\udcff", "9" * 400]),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e20, -1e308, 1e308, 0.5]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8),
                                                 inner, max_size=6)), max_leaves=40)


def _deep(depth: int) -> bytes:
    return b'{"messages": ' + b"[" * depth + b"]" * depth + b"}"


DATES = st.one_of(st.sampled_from(["2026-11-20T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00",
                                   "1999-12-31T23:59:59+14:00", "not a date", ""]), SCALARS)
# Almost valid generic messages: these get accepted, so the store and the drain meet the odd values.
NEAR_VALID = st.builds(
    lambda ext, text, author, followers, created, extra: {"messages": [{
        "external_id": ext, "text": text, "created_at": created, "raw": extra,
        "author": {"id": author, "followers": followers, "handle": text[:20]}}]},
    st.text(min_size=1, max_size=20), st.text(max_size=60), st.text(min_size=1, max_size=10),
    SCALARS, DATES, JSON)
BODIES = st.one_of(
    NEAR_VALID.map(lambda v: json.dumps(v).encode()),
    NEAR_VALID.map(lambda v: json.dumps(v).encode()),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8).map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=500, max_value=100_000).map(_deep),
    st.binary(max_size=200),
    st.sampled_from([b'{"a": NaN}', b'{"followers": Infinity}', b"1e999999", b"\xff\xfe{}"]),
)


def _sign(channel: str, body: bytes) -> dict[str, str]:
    key = SECRET.encode()
    if channel == "generic":
        return signed_headers(TEST_SECRET, body)
    if channel == "x":
        return {"x-twitter-webhooks-signature": b64_sig(key, body)}
    if channel == "slack":
        ts = str(int(time.time()))
        return {"X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": hex_sig(key, b"v0:" + ts.encode() + b":" + body, prefix="v0=")}
    if channel == "meta":
        return {"X-Hub-Signature-256": hex_sig(key, body)}
    return {"X-Discourse-Event-Signature": hex_sig(key, body), "X-Discourse-Event": "post_created",
            "X-Discourse-Event-Type": "post"}


CHANNELS = {"test": "generic", "fz-x": "x", "fz-slack": "slack", "fz-meta": "meta",
            "fz-discourse": "discourse"}


@pytest.fixture
def fuzz_client(tmp_path, db_url, redis_server, redis_conn):
    settings_ = make_settings(tmp_path=tmp_path, db_url=db_url, redis_url=redis_server.url)
    settings_.sources.update({
        "fz-x": SourceSettings(channel="x", options={"consumer_secret": SECRET, "user_id": "1"}),
        "fz-slack": SourceSettings(channel="slack", options={"signing_secret": SECRET}),
        "fz-meta": SourceSettings(channel="meta", options={"app_secret": SECRET,
                                                            "verify_token": "vt"}),
        "fz-discourse": SourceSettings(channel="discourse", secret=SECRET),
    })
    migrate(settings_.sqlalchemy_url)
    services = build_services(settings_, redis_client=redis_conn)
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        c.services = services
        yield c
    services.engine.dispose()


def test_signed_hostile_bodies_get_a_202_or_a_4xx_and_every_accepted_one_is_kept(fuzz_client):
    services, statuses, totals = fuzz_client.services, Counter(), Counter()

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(source=st.sampled_from(sorted(CHANNELS)), body=BODIES, generic=st.booleans())
    def post(source, body, generic):
        source = "test" if generic and body.startswith(b'{"messages": [{') else source
        r = fuzz_client.post(f"/webhooks/{source}", content=body,
                             headers=_sign(CHANNELS[source], body))
        statuses[r.status_code] += 1
        assert r.status_code < 500, (source, body[:300], r.text[:300])
        assert r.status_code in (200, 202) or 400 <= r.status_code < 500
        if r.status_code == 202:
            reply = r.json()
            totals["accepted"] += reply.get("accepted", 0)
            totals["quarantined"] += int(reply.get("quarantined", False))

    post()
    print("fuzz statuses", dict(statuses), "totals", dict(totals))
    assert sum(statuses.values()) >= 80 and not [s for s in statuses if s >= 500]
    # Nothing lost: every quarantined delivery is kept, every accepted message is stored or kept.
    assert len(services.buffer.quarantined_deliveries()) == totals["quarantined"]
    assert services.buffer.depth() == totals["accepted"]
    stored = pipeline.drain_ingest(services=services)
    assert stored + len(services.buffer.quarantined()) == totals["accepted"]
    assert services.buffer.depth() == 0
