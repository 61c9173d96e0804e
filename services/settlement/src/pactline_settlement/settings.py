"""Settlement configuration from the environment (PACTLINE_*), read once at start-up.

Locally every default points at the project's anvil and the deployment `make contracts`
wrote. For Base Sepolia (chain id 84532) or Base (8453) see docs/settlement.md,
"Running on a real network". The signer key is a secret: it comes from the environment or a
file, is held as a SecretStr, and is never logged or put in an event.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator

from pactline_escrow.gas import DEFAULT_MARGIN_PCT
from pactline_service import ServiceSettings

from .batching import BatchPolicy


class SignerKeyMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "no evaluator key: set PACTLINE_SETTLEMENT_SIGNER_KEY (or PACTLINE_EVALUATOR_PRIVATE_KEY), or "
            "PACTLINE_SETTLEMENT_SIGNER_KEY_FILE to a file holding it; without one the service records "
            "verdicts and keeps the ledger but sends nothing"
        )


class SettlementSettings(ServiceSettings):
    # PACTLINE_SETTLEMENT_SIGNER_KEY (or PACTLINE_EVALUATOR_PRIVATE_KEY, the name docs/escrow.md
    # uses): the evaluator account's private key, 0x + 64 hex digits.
    settlement_signer_key: SecretStr | None = Field(
        default=None,
        # Prefixed names only: an alias is read as given, and a bare SETTLEMENT_SIGNER_KEY of the
        # host must not configure anything (the field's own name still works as a keyword).
        validation_alias=AliasChoices("PACTLINE_SETTLEMENT_SIGNER_KEY", "PACTLINE_EVALUATOR_PRIVATE_KEY"),
    )
    # PACTLINE_SETTLEMENT_SIGNER_KEY_FILE: a file holding the key instead (a mounted secret).
    settlement_signer_key_file: Path | None = None
    # PACTLINE_SETTLEMENT_SIGNER_ENABLED: false runs a replica that never signs (records and
    # serves the ledger only), even when a key is present.
    settlement_signer_enabled: bool = True
    # PACTLINE_CHAIN_ID: the chain this service settles on; the RPC must report the same id
    # before anything is sent (defaults to the deployment file's).
    chain_id: int | None = Field(default=None, ge=1)
    # PACTLINE_DEPLOYMENT_FILE: the contract addresses (written by `pactline escrow deploy`).
    deployment_file: Path = Field(
        default=Path(".local/chain/deployment.json"),
    )
    # PACTLINE_SETTLEMENT_AGENTIC_COMMERCE / _AGGREGATE_ESCROW / PACTLINE_USDC_ADDRESS: override
    # the deployment file's addresses (the token is the real USDC on Base).
    settlement_agentic_commerce: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    settlement_aggregate_escrow: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    usdc_address: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{40}$",
    )
    # PACTLINE_SETTLEMENT_CONFIRMATIONS: blocks on top of a block (itself included) before its
    # contract events become facts, and before a sent transaction counts as final.
    settlement_confirmations: int = Field(3, ge=1, le=1000)
    # PACTLINE_SETTLEMENT_START_BLOCK: where the chain watcher starts on an empty database (the
    # contracts' deployment block on a real network).
    settlement_start_block: int = Field(0, ge=0)
    # PACTLINE_SETTLEMENT_LOG_CHUNK: most blocks read per eth_getLogs call.
    settlement_log_chunk: int = Field(2000, ge=1, le=100_000)
    # Gas price policy (EIP-1559, wei): max fee = base fee * FEE_MULTIPLIER_PCT / 100 + priority
    # fee, never above MAX_FEE_WEI; a transaction still pending after BUMP_AFTER_BLOCKS blocks is
    # sent again with the same nonce and fees raised by BUMP_PCT percent (at most MAX_FEE_WEI).
    settlement_priority_fee_wei: int = Field(1_000_000, ge=0)
    settlement_fee_multiplier_pct: int = Field(200, ge=100, le=1000)
    settlement_max_fee_wei: int = Field(50_000_000_000, ge=1)
    settlement_bump_after_blocks: int = Field(10, ge=1)
    settlement_bump_pct: int = Field(15, ge=10, le=100)
    # PACTLINE_SETTLEMENT_GAS_MARGIN_PCT: gas limit = the node's estimate plus this margin, plus
    # pactline_escrow.gas.HEADROOM_GAS for token balances emptied between estimate and block.
    settlement_gas_margin_pct: int = Field(DEFAULT_MARGIN_PCT, ge=0, le=200)
    # Aggregate batches: cut at BATCH_MAX_TASKS ready tasks, or when the oldest has waited
    # BATCH_MAX_AGE_S, or when the pool expires within BATCH_EXPIRY_MARGIN_S.
    settlement_batch_max_tasks: int = Field(1000, ge=1, le=2000)
    settlement_batch_max_age_s: int = Field(300, ge=0)
    settlement_batch_expiry_margin_s: int = Field(600, ge=0)
    # PACTLINE_SETTLEMENT_JOB_EXPIRY_MARGIN_S: a PASS is not completed this close to the job's
    # expiry (the transaction could land after it and revert); the job is left to claimRefund.
    settlement_job_expiry_margin_s: int = Field(60, ge=0)
    # PACTLINE_SETTLEMENT_POLL_INTERVAL_S: how often the signer looks at the chain and its work.
    settlement_poll_interval_s: float = Field(1.0, gt=0, le=60)
    # PACTLINE_SETTLEMENT_LEASE_RETRY_S: how often a standby replica tries to take the lease.
    settlement_lease_retry_s: float = Field(2.0, gt=0, le=300)

    @model_validator(mode="after")
    def _one_key_source(self) -> SettlementSettings:
        if self.settlement_signer_key is not None and self.settlement_signer_key_file is not None:
            raise ValueError("set the signer key or the key file, not both")
        return self

    def signer_key(self) -> SecretStr:
        """The evaluator's key, from the environment or the file; raises SignerKeyMissing."""
        if self.settlement_signer_key is not None:
            return self.settlement_signer_key
        if self.settlement_signer_key_file is not None:
            text = self.settlement_signer_key_file.read_text().strip()
            if text:
                return SecretStr(text)
        raise SignerKeyMissing()

    def has_signer(self) -> bool:
        return self.settlement_signer_enabled and (
            self.settlement_signer_key is not None or self.settlement_signer_key_file is not None
        )

    def batch_policy(self) -> BatchPolicy:
        return BatchPolicy(
            max_tasks=self.settlement_batch_max_tasks,
            max_age_s=self.settlement_batch_max_age_s,
            expiry_margin_s=self.settlement_batch_expiry_margin_s,
        )
