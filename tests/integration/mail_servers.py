"""Real mail servers for tests: Debian's dovecot (IMAP) on a private config, aiosmtpd (SMTP)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_USER = "nobody"  # dovecot refuses uid 0 for mail; the home lives in a world-readable tmp dir


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    username: str
    password: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: Path, port: int) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={MAIL_USER} gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[ImapAccount]:
    """A dovecot serving one passwd-file user on 127.0.0.1:<free port>, stopped afterwards."""
    if not Path(DOVECOT).exists():
        pytest.skip("dovecot is not installed (make test installs dovecot-imapd when run as root)")
    root = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    shutil.chown(root / "home", MAIL_USER, "nogroup")
    (root / "passwd").write_text("cm:{PLAIN}imap-test-pw::::::\n")
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, proc)
        yield ImapAccount("127.0.0.1", port, "cm", "imap-test-pw")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited: {proc.stdout.read().decode(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not listen within 10s")


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
        async def handle_DATA(self, server, session, envelope):
            inbox.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
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
