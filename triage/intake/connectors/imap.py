"""E-mail over IMAP (stdlib imaplib): cursor = UIDVALIDITY + last UID, threads from References."""

from __future__ import annotations

import email
import email.policy
import imaplib
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.polling import (
    AuthExpired,
    Poller,
    PollResult,
    TransientError,
    remember,
)
from triage.intake.connectors.text import html_to_text, strip_quoted_reply

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
            messages = []
            for uid, data in self._fetch(conn, batch):
                msg = self._message(uid, validity, data, now)
                if msg.external_id not in known:
                    known.add(msg.external_id)
                    messages.append(msg)
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise TransientError(f"IMAP {self.config.host}: {exc}") from exc
        finally:
            _logout(conn)
        last = batch[-1] if batch else (cursor.get("last_uid", 0) if cursor.get(
            "uidvalidity") == validity else 0)
        cursor.update(uidvalidity=validity, last_uid=last,
                      seen=remember(seen, [m.external_id for m in messages]))
        if len(uids) > BATCH:
            return PollResult(messages=messages, cursor=cursor, retry_after=0.0, status="backlog")
        return PollResult(messages=messages, cursor=cursor)

    def _connect(self) -> imaplib.IMAP4:
        from triage.intake.netguard import checked_addresses  # late: the guard imports polling

        cfg = self.config
        checked_addresses(cfg.host, cfg.port, allow_private=cfg.allow_private_network)
        try:
            if cfg.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(cfg.host, cfg.port, timeout=TIMEOUT_SECONDS)
            else:
                conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=TIMEOUT_SECONDS)
                if cfg.security == "starttls":
                    conn.starttls()
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

    def _message(self, uid: int, validity: int, data: bytes, now: datetime) -> Message:
        mail: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)
        msgid = _ids(mail.get("Message-ID"))
        refs = _ids(mail.get("References"))
        parent = _ids(mail.get("In-Reply-To"))
        sender = getaddresses([str(mail.get("From", ""))])
        name, addr = sender[0] if sender else ("", "")
        subject = str(mail.get("Subject", "")).strip()
        body = strip_quoted_reply(_body_text(mail))
        return Message(
            source=self.source,
            external_id=msgid[0] if msgid else f"imap:{validity}:{uid}",
            # The first References id is the thread's root (RFC 5322 3.6.4); else the parent.
            thread_id=(refs or parent or [None])[0],
            author=Author(id=(addr or "unknown").lower(), handle=addr or None, name=name or None),
            text=f"{subject}\n\n{body}" if subject else body,
            created_at=_date(mail.get("Date")) or now,
            raw=_raw(mail, uid),
        )


def _body_text(mail: EmailMessage) -> str:
    """text/plain when there is one, else the HTML part as text; charsets decoded."""
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # unknown or lying charset
        content = part.get_payload(decode=True).decode("utf-8", errors="replace")
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _ids(value: Any) -> list[str]:
    return MSGID.findall(str(value)) if value else []


def _date(value: Any) -> datetime | None:
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None


def _raw(mail: EmailMessage, uid: int) -> dict[str, Any]:
    keep = ("Message-ID", "In-Reply-To", "References", "From", "To", "Cc", "Subject", "Date")
    return {"uid": uid, **{h.lower(): str(mail[h]) for h in keep if mail[h] is not None}}


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (TimeoutError, OSError, imaplib.IMAP4.error):
        pass
