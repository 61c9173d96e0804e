"""Settlement reads only PACTLINE_-prefixed variables: a host's bare CHAIN_ID or
SETTLEMENT_SIGNER_KEY must not configure the service that signs payments."""

from __future__ import annotations

from pathlib import Path

from pactline_settlement.settings import SettlementSettings

KEY_A, KEY_B = "0x" + "11" * 32, "0x" + "22" * 32


def test_unprefixed_variables_configure_nothing(monkeypatch):
    for name, value in {
        "CHAIN_ID": "5",
        "DEPLOYMENT_FILE": "/elsewhere.json",
        "SETTLEMENT_SIGNER_KEY": KEY_A,
        "USDC_ADDRESS": "0x" + "ab" * 20,
    }.items():
        monkeypatch.setenv(name, value)
    settings = SettlementSettings()
    assert (settings.chain_id, settings.deployment_file) == (None, Path(".local/chain/deployment.json"))
    assert (settings.settlement_signer_key, settings.usdc_address) == (None, None)


def test_prefixed_variables_and_the_documented_key_name_do(monkeypatch):
    monkeypatch.setenv("PACTLINE_CHAIN_ID", "8453")
    monkeypatch.setenv("PACTLINE_DEPLOYMENT_FILE", "/deploy/base.json")
    monkeypatch.setenv("PACTLINE_EVALUATOR_PRIVATE_KEY", KEY_B)
    settings = SettlementSettings()
    assert (settings.chain_id, settings.deployment_file) == (8453, Path("/deploy/base.json"))
    assert settings.settlement_signer_key.get_secret_value() == KEY_B
    # Field names still work as keywords (tests and tools build settings this way).
    assert SettlementSettings(chain_id=31337, settlement_signer_key=KEY_A).chain_id == 31337
