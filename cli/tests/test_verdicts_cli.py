"""`pactline verdicts show` against a live local HTTP server standing in for the evaluator."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from typer.testing import CliRunner

from pactline_cli.main import app


class _Evaluator(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer k-buyer":
            status, body = 401, {"error": {"code": "invalid_api_key", "message": "the API key is not valid"}}
        elif self.path == "/v1/verdicts/tsk-1":
            status, body = 200, {"verdict": {"task_id": "tsk-1", "outcome": "PASS"}}
        else:
            status, body = 404, {"error": {"code": "verdict_not_found", "message": "no verdict"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def evaluator_url():
    server = HTTPServer(("127.0.0.1", 0), _Evaluator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_show_prints_the_verdict(evaluator_url, monkeypatch):
    monkeypatch.setenv("PACTLINE_EVALUATOR_URL", evaluator_url)
    monkeypatch.setenv("PACTLINE_API_KEY", "k-buyer")
    result = CliRunner().invoke(app, ["verdicts", "show", "tsk-1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"]["outcome"] == "PASS"


@pytest.mark.parametrize(
    ("key", "task", "code"), [("k-buyer", "tsk-2", "404 verdict_not_found"), ("bad", "tsk-1", "401")]
)
def test_refusals_print_status_and_code_and_exit_1(evaluator_url, monkeypatch, key, task, code):
    monkeypatch.setenv("PACTLINE_EVALUATOR_URL", evaluator_url)
    monkeypatch.setenv("PACTLINE_API_KEY", key)
    result = CliRunner().invoke(app, ["verdicts", "show", task])
    assert result.exit_code == 1
    assert code in result.output
