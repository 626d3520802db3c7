"""The outbound-address guard: pollers never reach private, loopback, link-local or metadata hosts.

A source pointed at 169.254.169.254 or an internal service would otherwise let anyone who can edit
sources read the cloud metadata or the office network through us (server-side request forgery).
Every address a host resolves to is checked at connect time, so redirects and DNS answers that
change between a check and the connection (rebinding) are covered for HTTP. A source opts out with
`allow_private_network: true` (the development demo's local blog and mailbox do).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpcore
import httpx

from triage.intake.connectors.polling import PollError

# Not "global" covers private, loopback, link-local (169.254.169.254, the usual metadata address),
# carrier-grade NAT (100.100.100.200, Alibaba's metadata), documentation and reserved ranges.
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class BlockedAddress(PollError):
    """The host is, or resolves to, a non-public address and the source does not allow that."""


def blocked_reason(address: str) -> str | None:
    """Why an IP address may not be fetched from, or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for label, flag in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                        ("link-local", ip.is_link_local), ("private", ip.is_private),
                        ("multicast", ip.is_multicast), ("reserved", ip.is_reserved),
                        ("non-public", not ip.is_global)):
        if flag:
            return f"{ip} is a {label} address"
    return None


def checked_addresses(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """Resolve a host and return its addresses, refusing it if any of them is not public."""
    host = host.strip("[]")
    if not allow_private and host.lower().rstrip(".") in METADATA_HOSTS:
        raise BlockedAddress(f"{host} is a cloud metadata host; set allow_private_network "
                             "on the source if this is really meant")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddress(f"cannot resolve {host!r}: {exc}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            if reason := blocked_reason(address):
                raise BlockedAddress(f"refused to connect to {host}: {reason}; set "
                                     "allow_private_network: true on the source to allow it")
    return addresses


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses, and to the very address that was checked."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None):
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        return super().connect_tcp(addresses[0], port, timeout=timeout,
                                   local_address=local_address, socket_options=socket_options)


def guarded_client(*, allow_private: bool = False, **kwargs: Any) -> httpx.Client:
    """An httpx client whose every connection, redirects included, goes through the guard.

    Environment proxies are ignored: a proxy would connect on our behalf, unchecked.
    """
    transport = httpx.HTTPTransport()
    transport._pool._network_backend = _GuardedBackend(allow_private)  # httpcore's seam for this
    return httpx.Client(transport=transport, trust_env=False, **kwargs)
