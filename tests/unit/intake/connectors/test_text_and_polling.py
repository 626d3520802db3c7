from datetime import UTC, datetime

import httpx

from triage.intake.connectors.polling import DEFAULT_RETRY_AFTER, remember, retry_after_seconds
from triage.intake.connectors.text import html_to_text, strip_quoted_reply

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def answer(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(429, headers=headers, request=httpx.Request("GET", "http://127.0.0.1/"))


def test_retry_after_reads_seconds_http_dates_and_reddits_reset_header():
    assert retry_after_seconds(answer({"Retry-After": "120"}), NOW) == 120
    assert retry_after_seconds(answer({"Retry-After": "Tue, 03 Mar 2026 12:01:30 GMT"}), NOW) == 90
    assert retry_after_seconds(answer({"x-ratelimit-reset": "42"}), NOW) == 42
    assert retry_after_seconds(answer({}), NOW) == DEFAULT_RETRY_AFTER


def test_seen_ids_stay_bounded_and_keep_the_newest():
    assert remember(["a", "b", "c"], ["c", "d"], limit=3) == ["b", "c", "d"]


def test_quoted_replies_attributions_and_signatures_are_stripped():
    text = "Thanks, that worked.\n\n-- \nAna\n\nOn Tue, 3 Mar 2026, Bo <bo@x.org> wrote:\n> hi"
    assert strip_quoted_reply(text) == "Thanks, that worked."
    assert strip_quoted_reply("> only a quote") == "> only a quote"  # never empty a message


def test_html_keeps_paragraphs_and_drops_scripts():
    html = "<p>Hello&nbsp;<b>there</b></p><script>x()</script><p>Second &amp; last</p>"
    assert html_to_text(html) == "Hello there\nSecond & last"
