"""`make demo`: shows the local Pactline stack up and every service ready.

Later milestones extend this into the full scenario (register, publish, accept, submit,
evaluate, settle, score); today it proves the five services run against real infrastructure.
"""

from __future__ import annotations

import os
import sys

import httpx

SERVICES = {"pact-registry": 8101, "evaluator": 8102, "jury": 8103, "scoring": 8104, "settlement": 8105}


def main() -> int:
    kafka = os.environ.get("PACTLINE_KAFKA_BOOTSTRAP", f"127.0.0.1:{os.environ.get('PACTLINE_KAFKA_PORT', '19092')}")
    rpc = os.environ.get("PACTLINE_ETH_RPC_URL", f"http://127.0.0.1:{os.environ.get('PACTLINE_ANVIL_PORT', '8545')}")
    print("Pactline local stack")
    print(f"  Kafka (KRaft)  {kafka}")
    local_pg = f"127.0.0.1:{os.environ.get('PACTLINE_PG_PORT', '15432')}"
    print("  PostgreSQL     " + ("PACTLINE_DATABASE_URL" if os.environ.get("PACTLINE_DATABASE_URL") else local_pg))
    chain = httpx.post(rpc, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5)
    print(f"  anvil          {rpc} (chain id {int(chain.json()['result'], 16)})")
    print()
    print(f"  {'service':<15}{'url':<26}{'database':<10}{'broker':<10}")
    failures = 0
    for name, port in SERVICES.items():
        url = f"http://127.0.0.1:{port}"
        try:
            body = httpx.get(f"{url}/ready", timeout=5).json()
            checks = body.get("checks", {})
        except httpx.HTTPError as exc:
            checks = {"database": f"down ({type(exc).__name__})", "broker": "?"}
        ok = checks.get("database") == "ok" and checks.get("broker") == "ok"
        failures += not ok
        print(
            f"  {name:<15}{url:<26}{checks.get('database', '?'):<10}{checks.get('broker', '?'):<10}"
            + ("ready" if ok else "NOT READY")
        )
    print()
    if failures:
        print(f"{failures} service(s) not ready: see .local/services/*.log", file=sys.stderr)
        return 1
    print("All five services are ready. API docs: http://127.0.0.1:8101/docs  -  stop everything with `make down`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
