"""The service runtime without infrastructure: settings, probes before start-up, JSON logs."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from pactline_messaging.correlation import correlation_id
from pactline_service import ServiceSettings, ServiceSpec, build_app
from pactline_service.logs import configure_logging


def test_settings_come_from_pactline_env_and_hide_the_database_password(monkeypatch):
    monkeypatch.setenv("PACTLINE_KAFKA_BOOTSTRAP", "kafka.internal:9092")
    monkeypatch.setenv("PACTLINE_DATABASE_URL", "postgresql://svc:s3cret@db/pactline")
    settings = ServiceSettings()
    assert settings.kafka_bootstrap == "kafka.internal:9092"
    assert settings.database_url.get_secret_value().endswith("@db/pactline")
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.model_dump())


def test_bad_settings_name_the_variable(monkeypatch):
    monkeypatch.setenv("PACTLINE_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="log_level"):
        ServiceSettings()


async def test_health_answers_and_ready_says_starting_before_the_lifespan_ran():
    app = build_app(ServiceSpec(name="probe-test", schema="probe_test", port=1), ServiceSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
        ready = await http.get("/ready", headers={"x-correlation-id": "0190d1a2-0000-7000-8000-000000000009"})
        assert ready.status_code == 503
        assert ready.json() == {"status": "starting"}
        assert ready.headers["x-correlation-id"] == "0190d1a2-0000-7000-8000-000000000009"
        metrics = await http.get("/metrics")
        sample = 'pactline_http_requests_total{method="GET",route="/ready",service="probe-test",status="503"}'
        assert sample in metrics.text


def test_log_lines_are_json_with_service_and_correlation_id(capsys):
    configure_logging("scoring", "INFO", "json")
    token = correlation_id.set("c-123")
    try:
        logging.getLogger("pactline.test").info("folded %d verdicts", 3)
    finally:
        correlation_id.reset(token)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["message"] == "folded 3 verdicts"
    assert line["service"] == "scoring"
    assert line["correlation_id"] == "c-123"
    assert line["level"] == "INFO"


def test_json_log_lines_carry_no_terminal_colour_codes(capsys):
    configure_logging("scoring", "INFO", "json")
    # As uvicorn logs: its extra "color_message" is the message with ANSI escapes.
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on %s", "http://127.0.0.1:8104", extra={"color_message": "Uvicorn running on \x1b[1m%s\x1b[0m"}
    )
    out = capsys.readouterr().out.strip().splitlines()[-1]
    line = json.loads(out)
    assert line["message"] == "Uvicorn running on http://127.0.0.1:8104"
    assert "color_message" not in line
    assert "\x1b" not in out
    assert "\\u001b" not in out


def test_the_broker_librarys_own_lines_are_json_on_stdout_too(capfd):
    import faststream  # noqa: F401 (its logger, with its own stderr handler, is made on import)

    configure_logging("evaluator", "INFO", "json")
    logging.getLogger("faststream").warning("Failed to create topic %s", "pactline.verdicts.v1")
    logging.getLogger("faststream").info("library chatter")
    out, err = capfd.readouterr()
    assert err == ""
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert [(line["level"], line["message"], line["service"]) for line in lines] == [
        ("WARNING", "Failed to create topic pactline.verdicts.v1", "evaluator")
    ]
