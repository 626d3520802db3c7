"""The IMAP poller connects to the address the outbound guard checked (no second DNS lookup to be
rebound), while TLS still sends and verifies the configured host name."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from datetime import UTC, datetime

import pytest

from tests.integration.intake.test_channels_imap import deliver
from tests.integration.mail_servers import ImapAccount, dovecot_fixture  # noqa: F401
from triage.intake.connectors import imap as imap_module
from triage.intake.connectors.imap import ImapConfig, ImapPoller
from triage.intake.connectors.polling import AuthExpired, TransientError
from triage.platform.redis_server import free_port

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
HOST = "mail.test.invalid"  # .invalid never resolves for real: only our fake DNS answers it


@pytest.fixture
def rebinding_dns(monkeypatch) -> list[str]:
    """DNS where HOST answers 127.0.0.1 once, then nothing (a rebinding attacker's next answer)."""
    real, asked = socket.getaddrinfo, []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in (HOST, "other.test.invalid"):
            asked.append(host)
            if len(asked) > 1:
                raise socket.gaierror(f"{host} rebound elsewhere (test)")
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_the_poller_reads_mail_from_the_checked_address_without_resolving_again(dovecot,
                                                                               rebinding_dns):
    deliver(dovecot, "html_only.eml")
    config = ImapConfig(host=HOST, port=dovecot.port, username=dovecot.username,
                        password=dovecot.password, security="none", allow_private_network=True)
    result = ImapPoller(config, source="mail").poll(cursor=None, now=NOW)
    assert len(result.messages) == 1
    assert rebinding_dns == [HOST]  # the guard's lookup was the only one


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for HOST (openssl), as (cert, key) paths."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


class TlsImapGreeter:
    """Just enough IMAP over TLS to refuse a login; records the SNI name each client sent."""

    def __init__(self, cert: str, key: str):
        self.names: list[str | None] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.sni_callback = lambda _sock, name, _ctx: self.names.append(name)
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            raw, _ = self.listener.accept()
            try:
                with self.context.wrap_socket(raw, server_side=True) as conn:
                    stream = conn.makefile("rwb")
                    stream.write(b"* OK ready\r\n")
                    stream.flush()
                    for line in stream:
                        tag, command = line.strip().split(b" ", 2)[:2]
                        if command.upper() == b"CAPABILITY":
                            stream.write(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
                        else:
                            stream.write(tag + b" NO [AUTHENTICATIONFAILED] wrong password\r\n")
                        stream.flush()
            except (OSError, ssl.SSLError, ValueError):
                continue  # the client refused our certificate, or hung up


@pytest.mark.usefixtures("rebinding_dns")
def test_tls_to_the_pinned_address_still_names_and_verifies_the_configured_host(
        certificate, monkeypatch):
    cert, key = certificate
    server = TlsImapGreeter(cert, key)
    monkeypatch.setattr(imap_module, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    config = ImapConfig(host=HOST, port=server.port, username="cm", password="pw",
                        allow_private_network=True)
    with pytest.raises(AuthExpired, match="wrong password"):  # TLS held: the login got an answer
        ImapPoller(config, source="mail").poll(cursor=None, now=NOW)
    assert server.names == [HOST]


@pytest.mark.usefixtures("rebinding_dns")
def test_a_certificate_for_another_host_is_refused_even_at_the_checked_address(
        certificate, monkeypatch):
    cert, key = certificate
    server = TlsImapGreeter(cert, key)
    monkeypatch.setattr(imap_module, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    config = ImapConfig(host="other.test.invalid", port=server.port, username="cm", password="pw",
                        allow_private_network=True)
    with pytest.raises(TransientError, match="certificate verify failed"):
        ImapPoller(config, source="mail").poll(cursor=None, now=NOW)


def test_the_default_tls_context_verifies_certificates_and_host_names():
    context = imap_module.tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
