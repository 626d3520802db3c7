"""A private dovecot IMAP server on a maildir we own: the demo's support mailbox, and the tests'."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ROOT_MAIL_USER = "nobody"  # dovecot refuses uid 0 for mail; as root, mail is read as nobody
START_TIMEOUT = 10.0  # seconds for dovecot to listen
AUTH_GROUP = "dovecot"  # Debian's package runs the auth process as this user and group


class MailboxError(RuntimeError):
    """Dovecot is missing, cannot reach its maildir, or did not start; the message says which."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    username: str
    password: str


def available() -> bool:
    """True when Debian's dovecot-imapd (or another dovecot) is installed."""
    return Path(DOVECOT).exists()


class MailboxServer:
    """Dovecot on 127.0.0.1:<port> serving passwd-file users from maildirs under `root`."""

    def __init__(self, root: Path, *, port: int, users: Mapping[str, str], host: str = "127.0.0.1"):
        self.root, self.port, self.users, self.host = Path(root).resolve(), port, dict(users), host
        self.process: subprocess.Popen | None = None
        self._run_dir: Path | None = None

    def account(self, username: str) -> ImapAccount:
        return ImapAccount(self.host, self.port, username, self.users[username])

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def start(self) -> MailboxServer:
        """Write the config and start dovecot in the foreground; raises MailboxError with the reason."""
        if not available():
            raise MailboxError("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
        uid, gid, user = _mail_identity()
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _check_reachable(self.root / "home", user)
            os.chown(self.root / "home", uid, gid)
            for path in (self.root / "home").rglob("*"):  # a maildir left by an earlier run
                os.chown(path, uid, gid)
        # Sockets live in a short private dir: unix socket paths are limited to ~100 characters.
        self._run_dir = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
        self._run_dir.chmod(0o755)
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        _readable_by_auth(passwd)
        conf = self.root / "dovecot.conf"
        conf.write_text(_config(self.root, self._run_dir, self.host, self.port, uid, gid, user))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait()
        except MailboxError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read().decode(errors="replace").strip()
                raise MailboxError(f"dovecot exited: {out or 'see ' + str(self.log_path)}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise MailboxError(f"dovecot did not listen on {self.host}:{self.port} within "
                           f"{START_TIMEOUT:.0f}s")


def deliver(account: ImapAccount, messages: Iterable[bytes], mailbox: str = "INBOX") -> int:
    """Store raw RFC 5322 messages in the mailbox (IMAP APPEND, as a delivery agent would)."""
    conn = imaplib.IMAP4(account.host, account.port, timeout=10)
    try:
        conn.login(account.username, account.password)
        count = 0
        for raw in messages:
            status, data = conn.append(mailbox, None, None, raw)
            if status != "OK":
                raise MailboxError(f"APPEND to {mailbox} refused: {data!r}")
            count += 1
        return count
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _mail_identity() -> tuple[int, int, str]:
    """Who reads the mail: nobody when we are root, else ourselves (dovecot runs unprivileged)."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam(ROOT_MAIL_USER)
        return entry.pw_uid, entry.pw_gid, entry.pw_name
    return os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name


def _readable_by_auth(passwd: Path) -> None:
    """The passwd file for dovecot's auth process only (user 'dovecot' when we are root)."""
    if os.geteuid() == 0:
        try:
            os.chown(passwd, 0, grp.getgrnam(AUTH_GROUP).gr_gid)
            passwd.chmod(0o640)
            return
        except KeyError:  # no 'dovecot' group: a private data dir is the only protection left
            passwd.chmod(0o644)
            return
    passwd.chmod(0o600)


def _check_reachable(path: Path, user: str) -> None:
    """Refuse a maildir the mail user cannot reach, with the reason, instead of a dovecot log line."""
    for parent in [*reversed(path.parents), path]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise MailboxError(f"dovecot reads mail as {user!r}, who cannot enter {parent} "
                               f"(mode {oct(parent.stat().st_mode & 0o777)}); use a data dir "
                               f"under a world-searchable path")


def _config(root: Path, run_dir: Path, host: str, port: int, uid: int, gid: int, user: str) -> str:
    group = grp.getgrgid(gid).gr_name
    unprivileged = "" if os.geteuid() == 0 else f"""
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {user}
}}
"""
    return f"""
base_dir = {run_dir}
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {min(uid, 500)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{unprivileged}"""
