"""The agent client checks every address a name resolves to when it connects, so a name that
resolves to a private address is refused even though the registered URL looked harmless."""

from __future__ import annotations

import httpx
import pytest

from live_server import serving
from pactline_evidence import EndpointPolicy
from pactline_gateway import simulated_agents
from pactline_gateway.agent_client import agent_client

BODY = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
async def agents_port():
    async with serving(simulated_agents.create_app(sloppy_delay_ms=0), lifespan="off") as url:
        yield int(url.rsplit(":", 1)[1])


async def _post(policy: EndpointPolicy, url: str) -> httpx.Response:
    async with agent_client(policy, connect_timeout=5, call_timeout=10, connections=2) as client:
        return await client.post(url, json=BODY)


async def test_a_name_resolving_to_a_refused_address_is_never_connected(agents_port):
    # "localhost" passes the registry's static check where loopback is allowed; here it is not.
    only_ten = EndpointPolicy.from_settings("10.0.0.0/8", allow_http=True)
    with pytest.raises(httpx.ConnectError, match=r"localhost resolves to .*127\.0\.0\.1.*not a public address"):
        await _post(only_ten, f"http://localhost:{agents_port}/agents/reliable/v1/chat/completions")


async def test_allowed_addresses_are_connected_by_name_and_by_number(agents_port):
    loopback = EndpointPolicy.from_settings("127.0.0.1/32", allow_http=True)
    for host in ("localhost", "127.0.0.1"):
        response = await _post(loopback, f"http://{host}:{agents_port}/agents/reliable/v1/chat/completions")
        assert response.status_code == 200
        assert response.headers["x-simulated-agent"] == "true"


async def test_redirects_are_not_followed_and_proxies_are_ignored(agents_port, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.255.255.1:3128")  # would be unreachable if used
    loopback = EndpointPolicy.from_settings("127.0.0.1/32", allow_http=True)
    async with agent_client(loopback, connect_timeout=5, call_timeout=10, connections=2) as client:
        assert client.follow_redirects is False
        response = await client.get(f"http://127.0.0.1:{agents_port}/ready")
    assert response.status_code == 200
