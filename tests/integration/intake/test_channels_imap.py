"""The IMAP poller against a real dovecot started by the test."""

import imaplib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.integration.mail_servers import (  # noqa: F401
    ImapAccount,
    dovecot_fixture,
)
from triage.intake.connectors import imap as imap_module
from triage.intake.connectors.imap import ImapConfig, ImapPoller
from triage.intake.connectors.polling import AuthExpired, TransientError

MAILS = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "email"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def deliver(account: ImapAccount, *names: str, mailbox: str = "INBOX") -> None:
    """APPEND fixture mails through IMAP itself, as a delivery agent would store them."""
    conn = imaplib.IMAP4(account.host, account.port)
    conn.login(account.username, account.password)
    for name in names:
        conn.append(mailbox, None, None, (MAILS / name).read_bytes())
    conn.logout()


def poller(account: ImapAccount, password: str | None = None) -> ImapPoller:
    config = ImapConfig(host=account.host, port=account.port, username=account.username,
                        password=password or account.password, security="none", allow_private_network=True)
    return ImapPoller(config, source="support-mail")


def test_a_conversation_is_one_thread_and_quoted_text_is_stripped(dovecot):
    deliver(dovecot, "rfc5322_a2_original.eml", "rfc5322_a2_reply.eml", "rfc5322_a2_reply2.eml")
    result = poller(dovecot).poll(cursor=None, now=NOW)
    original, reply, reply2 = result.messages
    assert original.external_id == "1234@local.machine.example"
    assert original.thread_key == reply.thread_id == reply2.thread_id == "1234@local.machine.example"
    assert reply.text == "Re: Saying Hello\n\nThis is a reply to your hello."
    assert reply.author.id == "mary@example.net" and reply.author.name == "Mary Smith"
    assert original.created_at == datetime(1997, 11, 21, 9, 55, 6,
                                           tzinfo=timezone(timedelta(hours=-6)))
    assert result.cursor["last_uid"] == 3


def test_mime_parts_and_encoded_words_are_decoded_preferring_text_plain(dovecot):
    deliver(dovecot, "mime_alternative_latin1.eml", "html_only.eml")
    mime, html = poller(dovecot).poll(cursor=None, now=NOW).messages
    assert mime.author.name == "André Pirard"
    assert mime.text == ("If you can read this you understand the example.\n\n"
                         "Bonjour, la facture de février est erronée.\nMerci de vérifier.")
    assert html.text == "HTML only\n\nWhere is my order?"


def test_the_next_poll_takes_only_new_mail_and_leaves_it_unread(dovecot):
    deliver(dovecot, "rfc5322_a2_original.eml")
    imap = poller(dovecot)
    first = imap.poll(cursor=None, now=NOW)
    assert imap.poll(cursor=first.cursor, now=NOW).messages == []
    deliver(dovecot, "rfc5322_a2_reply.eml")
    second = imap.poll(cursor=first.cursor, now=NOW)
    assert [m.external_id for m in second.messages] == ["3456@example.net"]
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(dovecot.username, dovecot.password)
    conn.select("INBOX", readonly=True)
    assert conn.search(None, "UNSEEN")[1][0].split() == [b"1", b"2"]
    conn.logout()


def test_a_new_uidvalidity_restarts_without_taking_anything_twice(dovecot):
    deliver(dovecot, "rfc5322_a2_original.eml", "rfc5322_a2_reply.eml")
    first = poller(dovecot).poll(cursor=None, now=NOW)
    stale = {**first.cursor, "uidvalidity": first.cursor["uidvalidity"] - 1, "last_uid": 99}
    again = poller(dovecot).poll(cursor=stale, now=NOW)
    assert again.messages == [] and again.cursor["uidvalidity"] == first.cursor["uidvalidity"]


def test_a_backlog_is_taken_in_batches(dovecot, monkeypatch):
    monkeypatch.setattr(imap_module, "BATCH", 2)
    deliver(dovecot, "rfc5322_a2_original.eml", "rfc5322_a2_reply.eml", "rfc5322_a2_reply2.eml")
    first = poller(dovecot).poll(cursor=None, now=NOW)
    assert first.status == "backlog" and len(first.messages) == 2
    rest = poller(dovecot).poll(cursor=first.cursor, now=NOW)
    assert [m.external_id for m in rest.messages] == ["abcd.1234@local.machine.example"]


def test_a_refused_login_is_auth_expired(dovecot):
    with pytest.raises(AuthExpired):
        poller(dovecot, password="changed-by-it").poll(cursor=None, now=NOW)


def test_an_unreachable_server_is_transient():
    from tests.integration.mail_servers import (
    free_port,
)
    account = ImapAccount("127.0.0.1", free_port(), "cm", "x")
    with pytest.raises(TransientError):
        poller(account).poll(cursor=None, now=NOW)
