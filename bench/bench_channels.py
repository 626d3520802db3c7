"""Connector throughput: verify+parse messages/s per webhook, and a poller catching up 10,000 items.

Run: .venv/bin/python bench/bench_channels.py [--seconds 1.0] [--backlog 10000]
The generic webhook is the baseline each platform connector is compared with. Rates are per
second of this process's CPU time (time.process_time), so a busy shared machine skews them less
than wall-clock rates; the backlog run prints both.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.channel_server import FakePlatform, mastodon_timeline
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.discourse import DiscourseConfig, DiscourseWebhook
from triage.intake.connectors.generic import GenericWebhook, sign
from triage.intake.connectors.mastodon import MastodonConfig, MastodonPoller
from triage.intake.connectors.meta import MetaConfig, MetaWebhook
from triage.intake.connectors.slack import SlackConfig, SlackEvents
from triage.intake.connectors.twitter import XConfig, XWebhook

FIX = ROOT / "tests" / "fixtures" / "channels"
SECRET = "bench-secret"
NOW = datetime.now(UTC)


def _hex(body: bytes, prefix: str = "sha256=") -> str:
    return prefix + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def cases() -> list[tuple[str, object, dict, bytes]]:
    """(name, channel, headers, body) for one signed, documented delivery per connector."""
    ts = int(NOW.timestamp())
    generic_body = json.dumps({"external_id": "e1", "text": "hello", "created_at": NOW.isoformat(),
                               "author": {"id": "a1"}}).encode()
    meta_body = (FIX / "meta" / "page_feed_comment.json").read_bytes()
    x_body = (FIX / "x" / "tweet_create_mention.json").read_bytes()
    slack_body = (FIX / "slack" / "message_channels.json").read_bytes()
    disc_body = (FIX / "discourse" / "post_created.json").read_bytes()
    x_sig = "sha256=" + base64.b64encode(
        hmac.new(SECRET.encode(), x_body, hashlib.sha256).digest()).decode()
    slack_sig = _hex(f"v0:{ts}:".encode() + slack_body, prefix="v0=")
    return [
        ("generic (baseline)", GenericWebhook(ChannelConfig(secret=SECRET), source="bench"),
         {"X-Triage-Timestamp": str(ts), "X-Triage-Signature": sign(SECRET.encode(), ts,
                                                                    generic_body)}, generic_body),
        ("meta", MetaWebhook(MetaConfig(app_secret=SECRET, verify_token="v"), source="bench"),
         {"X-Hub-Signature-256": _hex(meta_body)}, meta_body),
        ("x", XWebhook(XConfig(consumer_secret=SECRET), source="bench"),
         {"x-twitter-webhooks-signature": x_sig}, x_body),
        ("slack", SlackEvents(SlackConfig(signing_secret=SECRET), source="bench"),
         {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": slack_sig}, slack_body),
        ("discourse", DiscourseWebhook(DiscourseConfig(secret=SECRET), source="bench"),
         {"X-Discourse-Event": "post_created", "X-Discourse-Event-Signature": _hex(disc_body)},
         disc_body),
    ]


def bench_webhooks(seconds: float) -> None:
    print(f"{'webhook':<20} {'deliveries/s':>13} {'messages/s':>11} {'vs baseline':>12}")
    baseline = None
    for name, channel, headers, body in cases():
        deliveries = messages = 0
        start = time.process_time()
        while time.process_time() - start < seconds:
            channel.verify(headers=headers, body=body, now=NOW)
            messages += len(channel.parse(headers=headers, body=body).messages)
            deliveries += 1
        elapsed = time.process_time() - start
        rate = messages / elapsed
        baseline = baseline or rate
        print(f"{name:<20} {deliveries / elapsed:>13,.0f} {rate:>11,.0f} {rate / baseline:>11.2f}x")


def bench_backlog(count: int) -> None:
    doc = json.loads((FIX / "mastodon" / "notifications.json").read_text())[0]
    notes = []
    for n in range(1, count + 1):
        note = copy.deepcopy(doc)
        note["id"], note["status"]["id"] = str(n), str(10**17 + n)
        notes.append(note)
    server = FakePlatform().start()
    server.on("GET", "/api/v1/notifications",
              mastodon_timeline(server, notes, "/api/v1/notifications"))
    poller = MastodonPoller(MastodonConfig(base_url=server.url, access_token="t"), source="bench")
    cursor, taken, polls = {"since_id": "0"}, 0, 0
    start, cpu = time.perf_counter(), time.process_time()
    try:
        with httpx.Client(timeout=10) as http:
            while True:
                result = poller.poll(cursor=cursor, http=http, now=NOW)
                cursor, taken, polls = result.cursor, taken + len(result.messages), polls + 1
                if result.status != "backlog":
                    break
    finally:
        server.stop()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"\nmastodon backlog: {taken:,} of {count:,} mentions in {polls} polls, "
          f"{len(server.requests)} HTTP pages, {elapsed:.2f}s = {taken / elapsed:,.0f} messages/s "
          f"({cpu:.2f}s CPU = {taken / cpu:,.0f} messages per CPU second)")
    assert taken == count, "the catch-up lost or repeated items"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per webhook connector")
    parser.add_argument("--backlog", type=int, default=10_000, help="items the poller catches up")
    args = parser.parse_args()
    bench_webhooks(args.seconds)
    bench_backlog(args.backlog)


if __name__ == "__main__":
    main()
