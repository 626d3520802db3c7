"""Real mail servers for tests: Debian's dovecot (IMAP) on a private config, aiosmtpd (SMTP)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from triage.devstack.mailbox_server import ImapAccount, MailboxServer, available, free_port

__all__ = ["ImapAccount", "dovecot_fixture", "free_port", "smtp_fixture"]


@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[ImapAccount]:
    """A dovecot serving one passwd-file user on 127.0.0.1:<free port>, stopped afterwards."""
    if not available():
        pytest.skip("dovecot is not installed (make test installs dovecot-imapd when run as root)")
    root = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
    root.chmod(0o755)  # the mail user (nobody, when we are root) must reach the maildir
    server = MailboxServer(root, port=free_port(), users={"cm": "imap-test-pw"}).start()
    try:
        yield server.account("cm")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpInbox:
    """What a local aiosmtpd received: (mail_from, rcpt_tos, raw bytes) per message."""

    host: str
    port: int
    received: list[tuple[str, list[str], bytes]]


@pytest.fixture(name="smtp_server")
def smtp_fixture() -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:<free port>; accepts login 'cm'/'smtp-pw'."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    inbox = SmtpInbox("127.0.0.1", free_port(), [])

    class Handler:
        async def handle_DATA(self, _server, _session, envelope):
            inbox.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"cm", b"smtp-pw")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    controller = Controller(Handler(), hostname=inbox.host, port=inbox.port,
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
