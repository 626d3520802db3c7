"""The moves on an inbox item, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.core.errors import Conflict, Invalid
from triage.inbox import domain as inbox

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_nobody_takes_an_item_someone_else_holds_without_a_lead_override():
    held = inbox.ItemState("claimed", 1)
    with pytest.raises(Conflict):
        inbox.claim(held, user_id=2, now=NOW)
    assert inbox.claim(held, user_id=2, now=NOW, override=True).assignee_id == 2


def test_a_snooze_that_ran_out_counts_as_open():
    snoozed = inbox.snooze(inbox.ItemState("open", None), until=NOW + timedelta(hours=1), now=NOW)
    assert inbox.effective_status(snoozed, NOW) == "snoozed"
    assert inbox.effective_status(snoozed, NOW + timedelta(hours=2)) == "open"


@pytest.mark.parametrize("until", [NOW - timedelta(minutes=1), NOW + timedelta(days=30)])
def test_snooze_must_be_in_the_future_and_bounded(until):
    with pytest.raises(Invalid):
        inbox.snooze(inbox.ItemState("open", None), until=until, now=NOW)


def test_a_resolved_item_stays_resolved():
    done = inbox.resolve(inbox.ItemState("claimed", 1), user_id=1, now=NOW)
    assert done.status == "resolved"
    with pytest.raises(Conflict):
        inbox.claim(done, user_id=1, now=NOW)
    with pytest.raises(Conflict):
        inbox.release(done, user_id=1)


@pytest.mark.parametrize("status", ["claimed", "open"])  # open + assignee: the router's, not started
def test_nobody_resolves_an_item_someone_else_holds_without_a_lead_override(status):
    held = inbox.ItemState(status, 1)
    with pytest.raises(Conflict, match="held by someone else"):
        inbox.resolve(held, user_id=2, now=NOW)
    assert inbox.resolve(held, user_id=2, now=NOW, override=True).status == "resolved"
    assert inbox.resolve(held, user_id=1, now=NOW).status == "resolved"
