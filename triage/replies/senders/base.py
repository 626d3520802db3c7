"""Sending a manager's reply back through the message's own channel; typed failures; dry run."""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, SecretStr

from triage.core.message import Message
from triage.intake.connectors.base import ChannelError
from triage.intake.connectors.polling import retry_after_seconds
from triage.intake.netguard import BlockedAddress
from triage.replies.senders.pinned_smtp import open_smtp

SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ReplyReceipt:
    """Proof a reply left: the platform's id for it, so the thread can show and link it."""

    channel: str
    thread: str
    in_reply_to: str
    external_id: str
    raw: dict[str, Any] = field(default_factory=dict)


class ReplyError(ChannelError):
    """A reply did not go out; `retryable` tells the platform whether to queue it again."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ReplyTemporary(ReplyError):
    """Rate limit, 5xx, timeout, connection refused: retry later, nothing was posted."""

    retryable = True


class ReplyAuthError(ReplyError):
    """The token or password stopped working: fix the source's credentials, then retry."""


class ReplyRejected(ReplyError):
    """The platform refused this reply (deleted post, bad recipient, too long): don't retry."""


class Replier:
    """Sends one reply into a thread of one channel account."""

    slug: ClassVar[str]

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        """Post `text` as an answer to `in_reply_to` in `thread`; raise a ReplyError subclass."""
        raise NotImplementedError


def idempotency_key(*parts: str) -> str:
    """Same reply, same key: platforms that honour it (Mastodon) won't post a retry twice."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def checked(response: httpx.Response, *, now: datetime) -> httpx.Response:
    """Map an HTTP answer to the typed reply errors; return it when 2xx."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    if status == 429:
        raise ReplyTemporary(f"{where}: rate limited", retry_after=retry_after_seconds(response, now))
    if status in (401, 403):
        raise ReplyAuthError(f"{where} answered {status}: {response.text[:200]}")
    if status >= 500 or status == 408:
        raise ReplyTemporary(f"{where} answered {status}")
    if status >= 400:
        raise ReplyRejected(f"{where} answered {status}: {response.text[:300]}")
    return response


def post(http: httpx.Client, url: str, *, now: datetime, **kwargs: Any) -> httpx.Response:
    """POST with network failures as ReplyTemporary and statuses mapped by `checked`."""
    try:
        response = http.post(url, **kwargs)
    except httpx.TransportError as exc:
        raise ReplyTemporary(f"POST {url} failed: {exc}") from exc
    return checked(response, now=now)


class DryRunOutbox(Replier):
    """Records replies instead of sending them: demos, tests, and a safe default."""

    slug = "dry-run"

    def __init__(self, channel: str = "dry-run") -> None:
        self.channel = channel
        self.sent: list[dict[str, str]] = []

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        self.sent.append({"thread": thread, "in_reply_to": in_reply_to, "text": text})
        return ReplyReceipt(channel=self.channel, thread=thread, in_reply_to=in_reply_to,
                            external_id=f"dry-run-{len(self.sent)}")


class SmtpConfig(BaseModel):
    """The outgoing server for a mailbox; `from_address` is the support address we answer as."""

    host: str
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["ssl", "starttls", "none"] = "starttls"
    from_address: str
    allow_private_network: bool = False  # as for the mailbox it answers: the demo's local server


class SmtpReplier(Replier):
    """E-mail answers with In-Reply-To and References so mail clients thread them."""

    slug = "imap"

    def __init__(self, config: SmtpConfig, *, clock: Any = None) -> None:
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        if original is None or "@" not in original.author.id:
            raise ReplyRejected("an e-mail reply needs the original message and its sender address")
        mail = self._compose(in_reply_to, text, original)
        try:
            with self._connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise ReplyAuthError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ReplyRejected(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            kind = ReplyTemporary if 400 <= exc.smtp_code < 500 else ReplyRejected
            raise kind(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ReplyTemporary(f"SMTP {self.config.host}:{self.config.port}: {exc}") from exc
        return ReplyReceipt(channel=self.slug, thread=thread, in_reply_to=in_reply_to,
                            external_id=mail["Message-ID"].strip("<>"),
                            raw={"to": mail["To"], "subject": mail["Subject"]})

    def _compose(self, in_reply_to: str, text: str, original: Message) -> EmailMessage:
        raw = original.raw or {}
        subject = raw.get("subject") or ""
        refs = (raw.get("references") or "").split() + [f"<{in_reply_to}>"]
        mail = EmailMessage()
        mail["From"] = self.config.from_address
        mail["To"] = original.author.id
        mail["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
        mail["Date"] = format_datetime(self.clock())
        mail["Message-ID"] = make_msgid(domain=self.config.from_address.split("@")[-1])
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = " ".join(dict.fromkeys(refs))
        mail.set_content(text)
        return mail

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            smtp = open_smtp(host=cfg.host, port=cfg.port, security=cfg.security,
                             timeout=SMTP_TIMEOUT_SECONDS, allow_private=cfg.allow_private_network)
        except BlockedAddress as exc:  # a setting to fix, not a moment to wait out
            raise ReplyRejected(f"SMTP {exc}") from None
        if cfg.username and cfg.password:
            try:
                smtp.login(cfg.username, cfg.password.get_secret_value())
            except smtplib.SMTPException:
                smtp.close()
                raise
        return smtp
