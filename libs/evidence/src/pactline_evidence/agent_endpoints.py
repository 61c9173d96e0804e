"""Which agent endpoints the platform may call (SSRF policy), decided without IO.

The registry checks a URL when an operator registers it; the gateway checks every address a
name resolves to when it connects (so a name that later resolves to a private address is
still refused). Private, loopback, link-local and other non-global addresses are refused
unless a deployment allows their networks explicitly (local development allows 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOCAL_NAMES = ("localhost",)


class EndpointRefused(ValueError):
    """An endpoint the policy does not allow; ``reason`` says which rule and how to fix it."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class EndpointPolicy:
    allow_private: tuple[IpNetwork, ...] = ()
    allow_http: bool = False

    @classmethod
    def from_settings(cls, allow_private: str, allow_http: bool) -> EndpointPolicy:
        """``allow_private``: comma-separated networks or addresses, e.g. ``127.0.0.1/32,::1``."""
        networks = tuple(ipaddress.ip_network(part.strip()) for part in allow_private.split(",") if part.strip())
        return cls(networks, allow_http)

    def address_allowed(self, address: IpAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(address in network for network in self.allow_private):
            return True
        return address.is_global and not address.is_multicast

    def check_address(self, url: str, address: IpAddress) -> None:
        if not self.address_allowed(address):
            raise EndpointRefused(
                url,
                f"{address} is not a public address (private, loopback, link-local or reserved); "
                "a deployment may allow such networks in PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE",
            )

    def check_url(self, url: str) -> None:
        """Static checks of a registered base URL; names are checked again when resolved."""
        if any(c.isspace() or not c.isprintable() for c in url):
            raise EndpointRefused(url, "the URL contains whitespace or control characters")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise EndpointRefused(url, "the scheme must be https (or http where the deployment allows it)")
        if parts.scheme == "http" and not self.allow_http:
            raise EndpointRefused(url, "plain http is not allowed here; use https")
        if parts.username is not None or parts.password is not None:
            raise EndpointRefused(url, "credentials in the URL are not allowed")
        if parts.query or parts.fragment:
            raise EndpointRefused(url, "a base URL has no query or fragment")
        try:
            port = parts.port
        except ValueError:
            raise EndpointRefused(url, "the port is not a number from 1 to 65535") from None
        if port == 0:
            raise EndpointRefused(url, "the port is not a number from 1 to 65535")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise EndpointRefused(url, "the URL names no host")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            if host in _LOCAL_NAMES or host.endswith(".localhost"):
                self.check_address(url, ipaddress.ip_address("127.0.0.1"))
            elif not _is_hostname(host):
                raise EndpointRefused(url, f"{host!r} is not a valid host name") from None
            return
        self.check_address(url, address)


def _is_hostname(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(
        0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-" and all(c.isalnum() or c == "-" for c in label)
        for label in labels
    )


class AgentEndpointSettings(BaseModel):
    """Settings mixin for the services that apply the policy (registry and gateway), read from
    PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE and PACTLINE_AGENT_ENDPOINTS_ALLOW_HTTP."""

    agent_endpoints_allow_private: str = Field(
        "",
        description="Comma-separated networks agent endpoints may use although not public, e.g. 127.0.0.1/32 "
        "for local development; empty (the default) allows public addresses only",
    )
    agent_endpoints_allow_http: bool = Field(False, description="Allow plain http agent endpoints (local only)")

    @field_validator("agent_endpoints_allow_private")
    @classmethod
    def _networks(cls, value: str) -> str:
        EndpointPolicy.from_settings(value, allow_http=False)  # raises with the bad network named
        return value

    @property
    def endpoint_policy(self) -> EndpointPolicy:
        return EndpointPolicy.from_settings(self.agent_endpoints_allow_private, self.agent_endpoints_allow_http)
