"""The outbound guard on its own: which addresses are refused, and how a host is judged."""

from __future__ import annotations

import pytest

from triage.config import _default_sources
from triage.intake import netguard
from triage.intake.netguard import BlockedAddress, blocked_reason, checked_addresses


@pytest.mark.parametrize("address, kind", [
    ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback"), ("10.1.2.3", "private"),
    ("192.168.0.10", "private"), ("172.16.5.5", "private"), ("::1", "loopback"),
    ("fe80::1%eth0", "link-local"), ("fd00:ec2::254", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("100.100.100.200", "non-public"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
])
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address, kind):
    assert kind in blocked_reason(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_pass(address):
    assert blocked_reason(address) is None


def test_a_name_resolving_to_loopback_is_refused_unless_the_source_allows_it():
    with pytest.raises(BlockedAddress, match="loopback.*allow_private_network"):
        checked_addresses("localhost", 80)
    assert "127.0.0.1" in checked_addresses("localhost", 80, allow_private=True)


def test_every_resolved_address_counts_not_only_the_first(monkeypatch):
    monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *a, **k: [
        (2, 1, 6, "", ("93.184.215.14", 80)), (2, 1, 6, "", ("10.0.0.7", 80))])
    with pytest.raises(BlockedAddress, match="10.0.0.7"):
        checked_addresses("mixed.example", 80)


def test_metadata_host_names_and_unresolvable_hosts_are_refused():
    with pytest.raises(BlockedAddress, match="metadata"):
        checked_addresses("metadata.google.internal", 80)
    with pytest.raises(BlockedAddress, match="cannot resolve"):
        checked_addresses("no-such-host.invalid", 80)


def test_a_guarded_client_refuses_the_metadata_address_before_connecting():
    with netguard.guarded_client() as client, pytest.raises(BlockedAddress, match="link-local"):
        client.get("http://169.254.169.254/latest/meta-data/")


def test_the_development_demo_sources_allow_the_local_network_and_nothing_else_does():
    sources = _default_sources({"env": "development"})
    allowed = {name for name, src in sources.items() if src.options.get("allow_private_network")}
    assert allowed == {"demo-blog", "demo-mailbox"}
    assert not any(src.options.get("allow_private_network")
                   for src in _default_sources({"env": "production"}).values())
