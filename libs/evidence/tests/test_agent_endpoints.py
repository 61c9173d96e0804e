"""The SSRF policy for agent endpoints: public https by default, private networks only when a
deployment allows them."""

from __future__ import annotations

import ipaddress

import pytest

from pactline_evidence import EndpointPolicy, EndpointRefused

PRODUCTION = EndpointPolicy()
LOCAL_DEV = EndpointPolicy.from_settings("127.0.0.1/32, ::1", allow_http=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://agents.example.com/v1",
        "https://agents.example.com:8443",
        "https://bücher.example/v1",
        "https://8.8.8.8/v1",
        "https://[2001:4860:4860::8888]/v1",
    ],
)
def test_public_https_endpoints_are_allowed(url):
    PRODUCTION.check_url(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://agents.example.com/v1", "plain http"),
        ("ftp://agents.example.com/v1", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("https://user:pw@agents.example.com/v1", "credentials"),
        ("https://agents.example.com/v1?x=1", "query"),
        ("https://agents.example.com:0/v1", "port"),
        ("https://agents.example.com:99999/v1", "port"),
        ("https://127.0.0.1/v1", "not a public address"),
        ("https://localhost/v1", "not a public address"),
        ("https://api.localhost/v1", "not a public address"),
        ("https://10.1.2.3/v1", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://100.64.0.1/v1", "not a public address"),
        ("https://0.0.0.0/v1", "not a public address"),
        ("https://[::1]/v1", "not a public address"),
        ("https://[::ffff:127.0.0.1]/v1", "not a public address"),
        ("https://[fe80::1]/v1", "not a public address"),
        ("https://224.0.0.1/v1", "not a public address"),
        ("https://bad_host!.example/v1", "not a valid host name"),
        ("https:///v1", "no host"),
        ("https://agents.example.com/v 1", "whitespace"),
        ("https://agents.example.com/v1\x00", "control characters"),
    ],
)
def test_unsafe_endpoints_are_refused_with_the_rule_they_break(url, reason):
    with pytest.raises(EndpointRefused, match=reason):
        PRODUCTION.check_url(url)


def test_local_development_allows_only_the_listed_networks():
    LOCAL_DEV.check_url("http://127.0.0.1:8180/agents/reliable/v1")
    LOCAL_DEV.check_url("http://localhost:8180/v1")
    LOCAL_DEV.check_url("http://[::1]:8180/v1")
    with pytest.raises(EndpointRefused, match="not a public address"):
        LOCAL_DEV.check_url("http://127.0.0.2:8180/v1")
    with pytest.raises(EndpointRefused, match="not a public address"):
        LOCAL_DEV.check_url("http://192.168.1.10/v1")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("93.184.216.34", True), ("10.0.0.1", False), ("::ffff:10.0.0.1", False), ("127.0.0.1", False)],
)
def test_resolved_addresses_are_checked_one_by_one(address, allowed):
    assert PRODUCTION.address_allowed(ipaddress.ip_address(address)) is allowed


def test_settings_with_a_bad_network_fail_loudly():
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        EndpointPolicy.from_settings("127.0.0.1/33", allow_http=False)
