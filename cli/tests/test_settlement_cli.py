"""`pactline settlement ...`: reconciliation finds every difference between the ledger and the
chain, and the commands turn failures into one-line errors (a live local HTTP server stands in
for the service; the end-to-end runs against the real service are in services/settlement)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from pactline_cli.commands.settlement import job_differences, pool_differences
from pactline_cli.main import app
from pactline_escrow import JobStatus

PRICE = 50_000


def ledger_job(status: str, released: int = 0, refunded: int = 0) -> dict:
    return {
        "job_id": "7",
        "task_id": "tsk-1",
        "status": status,
        "escrowed": PRICE,
        "released": released,
        "refunded": refunded,
        "held": 0,
        "remaining": PRICE if status == "funded" else 0,
    }


def chain_job(status: JobStatus, budget: int = PRICE):
    return SimpleNamespace(status=status, budget=budget)


@pytest.mark.parametrize(
    ("ledger", "chain"),
    [
        (ledger_job("released", released=PRICE), chain_job(JobStatus.COMPLETED)),
        (ledger_job("refunded", refunded=PRICE), chain_job(JobStatus.REJECTED)),
        (ledger_job("refunded", refunded=PRICE), chain_job(JobStatus.EXPIRED)),
        (ledger_job("funded"), chain_job(JobStatus.SUBMITTED)),
        (ledger_job("held"), chain_job(JobStatus.FUNDED)),
    ],
)
def test_a_job_that_agrees_has_no_difference(ledger, chain):
    assert job_differences(ledger, chain) == []


def test_every_disagreement_of_a_job_is_listed():
    found = job_differences(ledger_job("funded"), chain_job(JobStatus.COMPLETED, budget=PRICE + 1))
    assert [(d.field, d.ledger, d.chain) for d in found] == [
        ("status", "funded", "completed"),
        ("escrowed", PRICE, PRICE + 1),
        ("released", 0, PRICE + 1),
    ]
    assert str(found[0]) == "job 7 (task tsk-1): status is funded in the ledger, completed on chain"
    assert [d.field for d in job_differences(ledger_job("funded"), None)] == ["existence"]


def test_a_pool_is_compared_figure_by_figure_and_batch_by_batch():
    ledger = {
        "pool_id": "0x01",
        "acceptance_id": "acc-1",
        "escrowed": 10,
        "released": 4,
        "refunded": 2,
        "held": 1,
        "remaining": 3,
        "batches": [
            {"batch_seq": 1, "verdict_root": "0xaa", "tx_hash": "0x01"},
            {"batch_seq": 2, "verdict_root": "0xbb", "tx_hash": "0x02"},
        ],
    }
    pool = SimpleNamespace(funded=10, released=4, refunded=2, remaining=4, last_batch_seq=2)
    settled = [
        SimpleNamespace(batch_seq=1, record=SimpleNamespace(verdict_root=bytes.fromhex("aa")), tx_hash="0x01"),
        SimpleNamespace(batch_seq=2, record=SimpleNamespace(verdict_root=bytes.fromhex("bb")), tx_hash="0x02"),
    ]
    assert pool_differences(ledger, pool, settled) == []
    settled[1] = SimpleNamespace(batch_seq=2, record=SimpleNamespace(verdict_root=bytes.fromhex("cc")), tx_hash="0x02")
    drained = SimpleNamespace(funded=10, released=5, refunded=2, remaining=3, last_batch_seq=2)
    found = pool_differences(ledger, drained, settled)
    assert [(d.field, d.ledger, d.chain) for d in found] == [
        ("released", 4, 5),
        ("held + remaining", 4, 3),
        ("verdict root", "0xbb", "0xcc"),
    ]


class _Settlement(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/v1/settlements/tasks/tsk-1/proof":
            status, body = 200, {"task_id": "tsk-1", "batch_seq": 1, "proof": []}
        else:
            status, body = 404, {"detail": {"error": "task_not_batched", "message": "task tsk-2 is not in any batch"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def settlement_url(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Settlement)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PACTLINE_SETTLEMENT_URL", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    thread.join()


def test_proof_prints_the_services_answer(settlement_url):
    result = CliRunner().invoke(app, ["settlement", "proof", "tsk-1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["batch_seq"] == 1


def test_a_refusal_is_one_line_with_its_code(settlement_url):
    result = CliRunner().invoke(app, ["settlement", "proof", "tsk-2"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: 404 task_not_batched: task tsk-2 is not in any batch"


def test_an_unreachable_service_is_one_line(monkeypatch):
    monkeypatch.setenv("PACTLINE_SETTLEMENT_URL", "http://127.0.0.1:1")
    result = CliRunner().invoke(app, ["settlement", "ledger"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the settlement service is unreachable")
