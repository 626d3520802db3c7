"""SMTP connections to the address the outbound guard checked, never to a fresh DNS answer.

The reply sender connects to a host from a source's settings. Like the pollers (intake.netguard),
it refuses private, loopback, link-local and metadata addresses unless the source allows them, and
it connects to the very address it checked, so DNS rebinding between check and connect cannot
redirect it. TLS still verifies the configured host name (SNI and certificate).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from typing import Any

from triage.intake.netguard import checked_addresses


class _PinnedSMTP(smtplib.SMTP):
    """smtplib connecting to a given address; STARTTLS verifies `host` (smtplib keeps it as _host)."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        self.pinned_address = address  # before __init__, which connects
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:  # noqa: ARG002
        return socket.create_connection((self.pinned_address, port), timeout, self.source_address)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """SMTP over TLS to a given address; SNI and the certificate check use `host`."""

    def __init__(self, host: str, port: int, *, address: str, **kwargs: Any) -> None:
        self.pinned_address = address
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((self.pinned_address, port), timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=host)


def open_smtp(*, host: str, port: int, security: str, timeout: float,
              allow_private: bool) -> smtplib.SMTP:
    """A connected (and, unless security is "none", encrypted) SMTP session to a checked address.

    Raises intake.netguard.BlockedAddress when the host is, or resolves to, a refused address.
    """
    address = checked_addresses(host, port, allow_private=allow_private)[0]
    context = ssl.create_default_context()
    if security == "ssl":
        return _PinnedSMTPSSL(host, port, address=address, timeout=timeout, context=context)
    smtp = _PinnedSMTP(host, port, address=address, timeout=timeout)
    if security == "starttls":
        smtp.starttls(context=context)
    return smtp
