"""The message's bounds and its date and text policy (core/message.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from triage.core.message import FLAGS_KEY, MAX_FOLLOWERS, TIME_FLAG_KEY, Message, date_note

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _msg(**over) -> Message:
    doc = {"source": "test", "external_id": "m1", "text": "hi", "created_at": NOW.isoformat(),
           "author": {"id": "a1", "followers": 10}}
    doc.update(over)
    return Message.model_validate(doc)


@pytest.mark.parametrize(("given", "kept"), [(1e20, MAX_FOLLOWERS), (10**40, MAX_FOLLOWERS),
                                             (-5, 0), (float("inf"), None), (float("nan"), None),
                                             (1234, 1234), (None, None)])
def test_follower_counts_are_clamped_to_what_every_database_stores(given, kept):
    assert _msg(author={"id": "a", "followers": given}).author.followers == kept


def test_a_follower_count_that_is_not_a_number_is_refused():
    with pytest.raises(ValidationError):
        _msg(author={"id": "a", "followers": "lots"})


@pytest.mark.parametrize("created", [NOW + timedelta(days=2), datetime(1999, 12, 31, tzinfo=UTC),
                                     datetime(9999, 1, 1, tzinfo=UTC)])
def test_a_date_far_ahead_or_before_2000_becomes_the_receive_time_and_is_flagged(created):
    stored = _msg(created_at=created.isoformat()).received(NOW)
    assert stored.created_at == NOW
    assert stored.raw[FLAGS_KEY]["created_at_replaced"] == created.isoformat()


def test_a_plausible_date_is_kept_as_sent():
    sent = NOW + timedelta(hours=3)  # a clock a little ahead is normal
    message = _msg(created_at=sent.isoformat())
    assert message.received(NOW) is message


def test_nul_bytes_are_dropped_and_lone_surrogates_replaced_in_every_string():
    m = _msg(text="a\x00b\udcff", external_id="x\x00y",
             author={"id": "u\x00", "name": "n\ud800", "handle": "h"}, raw={"k\x00": ["v\udcff"]})
    assert (m.text, m.external_id, m.author.id, m.author.name) == ("ab\ufffd", "xy", "u", "n\ufffd")
    assert m.raw == {"k": ["v\ufffd"]}


def test_a_replaced_date_gives_a_note_for_people_and_a_plausible_one_none():
    stored = Message(source="s", external_id="1", text="t", author={"id": "a"},
                     created_at=datetime(3609, 1, 1, tzinfo=UTC)).received(datetime(2026, 3, 3, tzinfo=UTC))
    assert date_note(stored.raw) == ("date from the platform looked wrong; receive time used",
                                     "the platform said 3609-01-01T00:00:00+00:00")
    by_connector = {TIME_FLAG_KEY: "date 1999-01-01T00:00:00+00:00 predates slack: receive time used"}
    assert date_note(by_connector)[1].startswith("date 1999-01-01")
    assert date_note({TIME_FLAG_KEY: "no date: receive time used"})[0].startswith("no date")
    assert date_note({"id": "1"}) is None and date_note(None) is None
