"""The HTTP client the gateway calls agents with: it connects only to addresses the endpoint
policy allows, checked when each connection is made (so a name that starts resolving to a
private address is refused), never follows redirects and ignores proxy environment variables."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from pactline_evidence import EndpointPolicy


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and connects to the first address the policy allows; TLS is
    still negotiated for the name (httpcore passes the URL's host as the server name)."""

    def __init__(self, policy: EndpointPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        allowed = [a for a in addresses if self._policy.address_allowed(a)]
        if not allowed:
            listed = ", ".join(str(a) for a in addresses) or "nothing"
            raise httpcore.ConnectError(
                f"{host} resolves to {listed}: not a public address, and the deployment does not allow it "
                "(PACTLINE_AGENT_ENDPOINTS_ALLOW_PRIVATE)"
            )
        return await self._inner.connect_tcp(
            str(allowed[0]), port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("agents are reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    @staticmethod
    async def _resolve(
        host: str, port: int, limit_s: float | None
    ) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), limit_s)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        seen: dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address] = {}
        for *_, sockaddr in infos:
            seen.setdefault(sockaddr[0], ipaddress.ip_address(sockaddr[0].split("%", 1)[0]))
        return list(seen.values())


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: EndpointPolicy, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx offers no parameter for the network backend; the pool it wraps does.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def agent_client(
    policy: EndpointPolicy, *, connect_timeout: float, call_timeout: float, connections: int
) -> httpx.AsyncClient:
    # Idle connections are dropped well before common servers close them (uvicorn after 5 s):
    # reusing one the server is closing at that moment fails the call with a read error.
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0)
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, limits),
        timeout=httpx.Timeout(call_timeout, connect=connect_timeout),
        follow_redirects=False,
        trust_env=False,
    )
