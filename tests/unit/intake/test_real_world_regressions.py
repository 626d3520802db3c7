"""One regression test per failure class of issue 16, each built from a real-world payload of the
corpus (tests/fixtures/corpus, see SOURCES.md) or a documented fixture changed in one named way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from tests.unit.intake.corpus import CORPUS, NOW, RUNNERS
from triage.intake.connectors.charset import decode
from triage.intake.connectors.dates import FLAG_KEY
from triage.intake.connectors.discourse import DiscourseConfig, DiscourseWebhook
from triage.intake.connectors.imap import ImapConfig, ImapPoller
from triage.intake.connectors.mail import read
from triage.intake.connectors.meta import MetaConfig, MetaWebhook
from triage.intake.connectors.rss import FeedConfig, FeedPoller
from triage.intake.connectors.slack import SlackConfig, SlackEvents

CHANNELS = CORPUS.parent / "channels"


def run(rel: str):
    entry = next(e for e in json.loads((CORPUS / "expected.json").read_text()) if e["file"] == rel)
    return RUNNERS[entry["channel"]](CORPUS / rel, (CORPUS / rel).read_bytes())


def mail(raw: bytes, **config):
    poller = ImapPoller(ImapConfig(host="h", username="u", password="p", **config), source="mail")
    return poller._message(7, 1, raw, NOW)


def feed(body: bytes, headers: dict[str, str] | None = None):
    poller = FeedPoller(FeedConfig(url="http://feed.test/x"), source="blog")
    transport = httpx.MockTransport(lambda _request: httpx.Response(
        200, content=body, headers=headers or {"Content-Type": "application/xml"}))
    with httpx.Client(transport=transport) as http:
        return poller.poll(cursor=None, http=http, now=NOW)


# --- one bad entry blocks a feed -------------------------------------------------------------

def test_a_description_only_item_without_id_link_or_title_is_read_not_fatal():
    (message,) = run("rss/feedparser/chardet-windows1255.xml")
    assert message.external_id.startswith("sha256:") and message.text.strip()


# --- text in the wrong encoding --------------------------------------------------------------

def test_a_feed_charset_given_only_in_the_http_header_is_used():
    (message,) = run("rss/feedparser-derived/header-only-euckr.xml")
    assert "TypeKey" in message.text and "시스템" in message.text


def test_a_feed_with_no_charset_anywhere_is_detected():
    (message,) = run("rss/feedparser/chardet-gb2312.xml")
    assert "专业" in message.text or "系列" in message.text


def test_a_raw_8bit_gb2312_subject_is_read_with_the_body_charset():
    (message,) = run("email/flanker/charset-gb2312.eml")
    subject = message.text.splitlines()[0]
    assert "\ufffd" not in subject and any("\u4e00" <= ch <= "\u9fff" for ch in subject)


def test_gbk_characters_in_gb2312_mail_and_utf8_labelled_gb2312_both_decode():
    text = "尊敬的管理员：镕"  # 镕 is in GBK, not in GB2312
    assert decode(text.encode("gbk"), "gb2312") == (text, "gb18030")
    assert decode(text.encode("utf-8"), "gb2312") == (text, "utf-8")


def test_a_windows_1252_em_dash_is_not_replaced_before_the_fallback_runs():
    (message,) = run("email/stalwart/109-charset-windows-1252-qp.eml")
    assert message.text == "—"


# --- text lost, or useless text kept ---------------------------------------------------------

def test_an_unquoted_nextpart_boundary_keeps_the_body():
    (message,) = run("email/untroubled/unquoted-nextpart-boundary-html-only.eml")
    assert "CARTON CIGARETTE WHOLESALE LIST" in message.text and "<p" not in message.text


def test_a_part_with_two_content_types_still_gives_its_text():
    (message,) = run("email/dovecot/malformed-020-double-content-type.eml")
    assert "HTML Body" in message.text


def test_image_placeholders_and_binary_parts_are_kept_by_reference():
    (images,) = run("email/stalwart/70-related-cid-only.eml")
    assert "[cid:" not in images.text and "[attachment: image.jpg, image/jpeg" in images.text
    (png,) = run("email/dovecot/malformed-017-boundary-missing-semicolon.eml")
    assert png.text.startswith("Hello world") and "aGVsbG8" not in png.text
    assert png.raw["attachments"][0]["content_type"] == "image/png"


@pytest.mark.parametrize(("rel", "reason"), [
    ("email/flanker/bounce-aol-mailbox-full.eml", "Auto-Submitted"),
    ("email/flanker/bounce-gmail-invalid-address.eml", "X-Failed-Recipients"),
    ("email/flanker/disposition-notification.eml", "report: disposition-notification"),
    ("email/flanker/complaint-aol-arf.eml", "report: feedback-report"),
    ("email/sisimai/rfc3834-02-exchange-automatic-reply.eml", "null return path"),
    ("email/sisimai/rfc3834-03-icloud-vacation-subject-only.eml", "auto-reply subject"),
])
def test_bounces_receipts_reports_and_auto_replies_stay_out_with_a_reason(rel, reason):
    raw = (CORPUS / rel).read_bytes()
    assert reason in (read(raw).automated or "")
    assert mail(raw) is None


def test_precedence_bulk_mail_stays_out():
    raw = (CHANNELS / "email" / "rfc5322_a2_reply.eml").read_bytes()
    assert mail(raw) is not None
    assert mail(b"Precedence: bulk\r\n" + raw) is None


def test_a_feed_keeps_the_title_beside_the_body():
    messages = run("rss/feed-rs/rss_2.0_docuverse_comments.xml")
    assert all("\n\n" in m.text for m in messages)  # "title\n\nbody"


def test_a_placeholder_content_does_not_win_over_a_real_description():
    texts = [m.text for m in run("rss/feed-rs/rss_2.0_relurl_1.xml")]
    assert any("Package managers take care of resolving dependencies" in t for t in texts)


def test_an_entry_with_no_text_at_all_is_ignored_and_counted():
    body = (CHANNELS / "rss" / "wordpress_comments.xml").read_text()
    start, end = body.index("<title>Comment on Hello world! by Ana"), body.index("</item>")
    blank = body[:start] + "<guid>empty-1</guid>" + body[end:]
    result = feed(blank.encode())
    assert result.ignored == 1 and all(m.text.strip() for m in result.messages)
    assert "empty-1" in result.cursor["seen"]  # the next poll does not count it again


def test_a_localised_feed_date_is_parsed():
    body = (CHANNELS / "rss" / "wordpress_comments.xml").read_text().replace(
        "Tue, 03 Mar 2026 10:05:00 +0000", "Seg, 24 Set 2018 10:05:00 -0300")  # from the issue
    ana = next(m for m in feed(body.encode()).messages if "Windows" in m.text)
    assert ana.created_at == datetime(2018, 9, 24, 13, 5, tzinfo=UTC)


# --- loops, ghosts and junk ------------------------------------------------------------------

def test_a_comment_written_by_the_page_itself_is_not_inbound():
    assert run("meta/bottender-feed-comment-by-page-itself.json") == []
    assert len(run("meta/bottender-feed-comment-add.json")) == 1


def test_a_comment_change_without_post_id_threads_by_its_parent():
    doc = json.loads((CORPUS / "meta" / "bottender-feed-comment-add.json").read_text())
    del doc["entry"][0]["changes"][0]["value"]["post_id"]  # the older shape
    meta = MetaWebhook(MetaConfig(app_secret="s", verify_token="v"), source="fb")
    (message,) = meta.parse(headers={}, body=json.dumps(doc).encode()).messages
    assert message.thread_id == "139560936744456_139562213411528"


def test_a_deleted_reddit_comment_is_not_ingested():
    assert run("reddit/praw-info-deleted-comment.json") == []
    assert len(run("reddit/praw-info-comment.json")) == 1


def test_a_date_in_the_year_3609_is_replaced_by_the_receive_time_and_flagged():
    raw = (CHANNELS / "email" / "rfc5322_a2_reply.eml").read_bytes().replace(
        b"Date: Fri, 21 Nov 1997 10:01:10 -0600", b"Date: Fri, 21 Nov 3609 10:01:10 -0600")
    message = mail(raw)
    assert message.created_at == NOW and "future" in message.raw[FLAG_KEY]


def test_discourse_markdown_becomes_text_and_an_image_only_post_says_image():
    doc = json.loads((CHANNELS / "discourse" / "post_created.json").read_text())
    discourse = DiscourseWebhook(DiscourseConfig(secret="s"), source="forum")
    headers = {"X-Discourse-Event": "post_created"}
    doc["post"].pop("cooked")
    doc["post"]["raw"] = "**Still** broken, see [the docs](https://example.com/docs)"
    (text,) = discourse.parse(headers=headers, body=json.dumps(doc).encode()).messages
    assert text.text == "Still broken, see the docs"
    doc["post"]["raw"] = "![screenshot|690x388](upload://a1b2c3.png)"
    (image,) = discourse.parse(headers=headers, body=json.dumps(doc).encode()).messages
    assert image.text == "[image: screenshot]"


def test_slack_mentions_become_plain_text_with_names():
    (message,) = run("slack/bolt-app-mention-user-mention.json")
    assert message.text == "@W111 Hi there!"
    slack = SlackEvents(SlackConfig(signing_secret="s", user_names={"W111": "ana"}), source="sl")
    body = (CORPUS / "slack" / "bolt-app-mention-user-mention.json").read_bytes()
    assert slack.parse(headers={}, body=body).messages[0].text == "@ana Hi there!"


# --- our own words never come back -----------------------------------------------------------

def test_our_own_mail_and_sent_message_ids_are_not_inbound():
    raw = (CHANNELS / "email" / "rfc5322_a2_reply.eml").read_bytes()
    assert mail(raw, own_addresses=["Mary@Example.net"]) is None
    assert mail(raw, sent_message_ids=["3456@example.net"]) is None


def test_the_slack_bot_and_staff_accounts_are_not_inbound():
    body = (CORPUS / "slack" / "bolt-message-user.json").read_bytes()
    user = json.loads(body)["event"]["user"]
    for config in ({"bot_user_id": user}, {"own_user_ids": [user]}):
        slack = SlackEvents(SlackConfig(signing_secret="s", **config), source="sl")
        assert slack.parse(headers={}, body=body).messages == []


def test_a_date_before_the_platform_existed_is_replaced_but_slacks_own_2012_example_is_kept():
    (slack,) = SlackEvents(SlackConfig(signing_secret="s"), source="sl").parse(
        headers={}, body=(CHANNELS / "slack" / "message_channels.json").read_bytes()).messages
    assert slack.created_at.year == 2012 and FLAG_KEY not in slack.raw
    doc = json.loads((CORPUS / "meta" / "bottender-feed-comment-add.json").read_text())
    doc["entry"][0]["changes"][0]["value"]["created_time"] = 86400  # 1970-01-02
    meta = MetaWebhook(MetaConfig(app_secret="s", verify_token="v"), source="fb")
    (message,) = meta.parse(headers={}, body=json.dumps(doc).encode()).messages
    assert message.created_at.year >= 2026 and "predates meta" in message.raw[FLAG_KEY]


def test_a_mail_with_nothing_to_read_is_ignored():
    raw = (CHANNELS / "email" / "rfc5322_a2_reply.eml").read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"Subject:", b"X-Old-Subject:")
    assert mail(head + b"\r\n\r\n\r\n") is None
    assert mail(raw) is not None
