"""Which e-mail addresses and CRM ids a message reveals about its author, on recorded shapes."""

from __future__ import annotations

from datetime import UTC, datetime

from triage.core import message as dm
from triage.people.authors_auto import Hints, hints, personal_email

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def msg(author: str, *, handle: str | None = None, raw: dict | None = None) -> dm.Message:
    return dm.Message(source="test", external_id="m1", text="hi", created_at=AT,
                      author=dm.Author(id=author, handle=handle), raw=raw or {})


def test_an_email_channel_sender_is_its_own_address_in_lower_case():
    assert hints(msg("sam@example.com", handle="Sam@Example.com")).emails == ("sam@example.com",)


def test_the_generic_webhook_author_may_carry_an_address_and_a_crm_id():
    found = hints(msg("u42", raw={"author": {"id": "u42", "email": " Sam@Example.COM ",
                                             "crm_id": 1007}}))
    assert found == Hints(emails=("sam@example.com",), crm_ids=("1007",))


def test_slack_style_user_profiles_are_read_too():
    assert hints(msg("U1", raw={"user": {"profile": {"email": "kim@example.com"}}})).emails == (
        "kim@example.com",)


def test_role_addresses_and_handles_are_not_people():
    assert personal_email("noreply@shop.example") is None
    assert personal_email("no-reply+orders@shop.example") is None
    assert personal_email("MAILER-DAEMON@mx.example") is None
    assert not hints(msg("@sam", handle="@sam"))
    assert not hints(msg("u1", raw={"author": {"email": "not an address"}, "crm_id": "  "}))
