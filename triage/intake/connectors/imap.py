"""E-mail over IMAP (stdlib imaplib): cursor = UIDVALIDITY + last UID, threads from References."""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from functools import partial
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.dates import checked, flagged, localized
from triage.intake.connectors.mail import Mail, header_text, read
from triage.intake.connectors.polling import (
    AuthExpired,
    Entries,
    Poller,
    PollResult,
    TransientError,
    remember,
)
from triage.intake.connectors.text import strip_quoted_reply

BATCH = 200  # messages fetched per poll; a bigger backlog continues on the next poll
TIMEOUT_SECONDS = 30.0
MSGID = re.compile(r"<([^<>\s]+)>")


class ImapConfig(ChannelConfig):
    """One mailbox: host, port, login; `security` is ssl (993), starttls (143) or none (tests)."""

    host: str
    port: int = 993
    username: str
    password: SecretStr
    mailbox: str = "INBOX"
    security: Literal["ssl", "starttls", "none"] = "ssl"
    own_addresses: list[str] = Field(default_factory=list)  # mail from these is ours: never inbound
    sent_message_ids: list[str] = Field(default_factory=list)  # the outbox's Message-IDs


class ImapPoller(Poller):
    """New mail since the last UID, read-only (no \\Seen flag set), as threaded messages."""

    slug = "imap"
    Config = ImapConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client | None = None,
             now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        conn = self._connect()
        try:
            validity, uids = self._new_uids(conn, cursor)
            batch = uids[:BATCH]
            seen = list(cursor.get("seen", []))
            known = set(seen)
            entries = Entries()
            for uid, data in self._fetch(conn, batch):
                msg = entries.take(uid, partial(self._message, uid, validity, data, now), data)
                if msg is not None and msg.external_id in known:
                    entries.messages.pop()  # taken before: a copy in another folder or a re-poll
                elif msg is not None:
                    known.add(msg.external_id)
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise TransientError(f"IMAP {self.config.host}: {exc}") from exc
        finally:
            _logout(conn)
        last = batch[-1] if batch else (cursor.get("last_uid", 0) if cursor.get(
            "uidvalidity") == validity else 0)
        cursor.update(uidvalidity=validity, last_uid=last,
                      seen=remember(seen, [m.external_id for m in entries.messages]))
        return entries.result(cursor=cursor, backlog=len(uids) > BATCH)

    def _connect(self) -> imaplib.IMAP4:
        from triage.intake.netguard import checked_addresses  # late: the guard imports polling

        cfg = self.config
        # Connect to the very address the guard checked (a second lookup could be rebound to an
        # internal one); TLS still names and verifies the configured host.
        address = checked_addresses(cfg.host, cfg.port, allow_private=cfg.allow_private_network)[0]
        try:
            if cfg.security == "ssl":
                conn: imaplib.IMAP4 = _PinnedIMAP4SSL(cfg.host, cfg.port, address=address,
                                                      ssl_context=tls_context(),
                                                      timeout=TIMEOUT_SECONDS)
            else:
                conn = _PinnedIMAP4(cfg.host, cfg.port, address=address, timeout=TIMEOUT_SECONDS)
                if cfg.security == "starttls":
                    conn.starttls(ssl_context=tls_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"cannot reach IMAP {cfg.host}:{cfg.port}: {exc}") from exc
        try:
            conn.login(cfg.username, cfg.password.get_secret_value())
        except imaplib.IMAP4.error as exc:
            _logout(conn)
            raise AuthExpired(f"IMAP login refused for {cfg.username}: {exc}") from exc
        return conn

    def _new_uids(self, conn: imaplib.IMAP4, cursor: dict) -> tuple[int, list[int]]:
        status, _ = conn.select(_quote(self.config.mailbox), readonly=True)
        if status != "OK":
            raise TransientError(f"cannot select {self.config.mailbox!r}")
        validity = int(conn.response("UIDVALIDITY")[1][0])
        # A new UIDVALIDITY means the server renumbered the mailbox: start over, and let the
        # seen Message-IDs in the cursor keep us from taking anything twice.
        last = cursor.get("last_uid", 0) if cursor.get("uidvalidity") == validity else 0
        status, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
        if status != "OK":
            raise TransientError(f"UID SEARCH failed: {data!r}")
        # "n:*" always matches the highest UID, even when it is below n: filter again.
        return validity, sorted(u for u in map(int, (data[0] or b"").split()) if u > last)

    @staticmethod
    def _fetch(conn: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, bytes]]:
        if not uids:
            return []
        status, data = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        if status != "OK":
            raise TransientError(f"UID FETCH failed: {data!r}")
        found = []
        for item in data:
            if isinstance(item, tuple):
                uid = re.search(rb"UID (\d+)", item[0])
                if uid:
                    found.append((int(uid.group(1)), item[1]))
        return sorted(found)

    def _message(self, uid: int, validity: int, data: bytes, now: datetime) -> Message | None:
        """The message a person wrote, or None for bounces, receipts, reports and auto-replies."""
        mail = read(data)
        if mail.automated:
            return None
        msg = mail.headers
        msgid = _ids(msg.get("Message-ID"))
        if msgid and msgid[0] in self.config.sent_message_ids:
            return None  # our own reply, copied back (a Bcc to ourselves or a shared mailbox)
        refs = _ids(msg.get("References"))
        parent = _ids(msg.get("In-Reply-To"))
        sender = getaddresses([mail.sender])
        name, addr = sender[0] if sender else ("", "")
        if addr and addr.lower() in {a.lower() for a in self.config.own_addresses}:
            return None
        body = strip_quoted_reply(mail.body) if mail.body else ""
        refs_text = "\n".join(a.label() for a in mail.attachments)
        text = "\n\n".join(p for p in (mail.subject, body, refs_text) if p)
        if not text.strip():
            return None  # no subject, no body, no attachment: nothing to read or answer
        created, flag = checked(_date(msg.get("Date")), received=now, channel="email")
        return Message(
            source=self.source,
            external_id=msgid[0][:256] if msgid else f"imap:{validity}:{uid}",
            # The first References id is the thread's root (RFC 5322 3.6.4); else the parent.
            thread_id=(refs or parent or [None])[0],
            author=Author(id=(addr or "unknown").lower()[:256], handle=addr[:256] or None,
                          name=name[:256] or None),
            text=text,
            created_at=created,
            raw=flagged(_raw(mail, uid), flag),
        )


def tls_context() -> ssl.SSLContext:
    """Certificates and host names verified (imaplib's own default verifies neither)."""
    return ssl.create_default_context()


class _PinnedIMAP4(imaplib.IMAP4):
    """imaplib connecting to a given address instead of resolving `host` again."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        self.pinned_address = address  # before __init__, which connects
        super().__init__(host, port, **kwargs)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self.pinned_address, self.port), timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """IMAP over TLS to a given address; SNI and the certificate check use `host`."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        self.pinned_address = address
        super().__init__(host, port, **kwargs)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self.pinned_address, self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def _ids(value: Any) -> list[str]:
    return MSGID.findall(str(value)) if value else []


def _date(value: Any) -> datetime | None:
    try:
        when = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return localized(str(value))
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _raw(mail: Mail, uid: int) -> dict[str, Any]:
    keep = ("Message-ID", "In-Reply-To", "References", "From", "To", "Cc", "Subject", "Date")
    raw: dict[str, Any] = {"uid": uid, **{h.lower(): header_text(mail.headers, h) for h in keep
                                          if mail.headers.get(h) is not None}}
    if mail.attachments:
        raw["attachments"] = [vars(a) for a in mail.attachments]
    return raw


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (TimeoutError, OSError, imaplib.IMAP4.error):
        pass
