"""Escrow on chain must back a task before the registry takes it (docs/pacts.md, "Escrow on chain").

A per_task task names an ERC-8183 job: the job's client must be the buyer's address, its
provider the agent operator's, its evaluator the platform's, its token and budget the accepted
ones, and it must be funded. An aggregate acceptance is usable once the buyer's pool for it
is funded with the accepted terms. The chain is read through the RPC in the settings, never
through another service; an RPC that does not answer refuses the task (503), it never lets it
through.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import ClientError, ClientTimeout
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import Web3Exception
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from pactline_escrow.deployment import Deployment, DeploymentMissing
from pactline_escrow.errors import ChainMismatch, EscrowReverted
from pactline_escrow.ids import bytes32_from_identifier
from pactline_escrow.reader import EscrowReader
from pactline_escrow.terms import (
    EscrowTermsError,
    JobExpired,
    JobNotFound,
    JobNotFunded,
    JobTerms,
    JobTermsMismatch,
    PoolNotActive,
    PoolNotFound,
    PoolTerms,
    PoolTermsMismatch,
    TermMismatch,
    check_job,
    check_pool,
)
from pactline_events.types import EscrowMode

from .domain import Acceptance
from .errors import Conflict, FieldError, Invalid, RegistryError, Unavailable, invalid_field

log = logging.getLogger(__name__)
MAX_UINT256 = 2**256 - 1
RETRY_AFTER_S = 5


class EscrowUnavailable(Unavailable):
    def __init__(self, why: str) -> None:
        super().__init__(
            "escrow_unavailable",
            f"the registry could not check the escrow on chain ({why}); nothing was taken, retry later",
            retry_after_s=RETRY_AFTER_S,
        )


def _term_fields(pointer: str, mismatches: tuple[TermMismatch, ...]) -> tuple[FieldError, ...]:
    return tuple(
        FieldError(pointer, f"{m.term}: on chain {m.actual}, the acceptance agreed to {m.expected}") for m in mismatches
    )


class EscrowBacking:
    """Reads the escrow contracts through one RPC connection, for the life of the service."""

    def __init__(self, rpc_url: str, deployment_file: Path, evaluator_address: str | None, timeout_s: float) -> None:
        # One quick retry at most: a task waits on this, and an RPC that is down is a 503.
        provider = AsyncHTTPProvider(
            rpc_url,
            request_kwargs={"timeout": ClientTimeout(total=timeout_s)},
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=(ClientError, TimeoutError), retries=1, backoff_factor=0.05
            ),
        )
        self.w3 = AsyncWeb3(provider)
        self.deployment_file = deployment_file
        self.evaluator_address = evaluator_address
        self._loaded: tuple[int, EscrowReader] | None = None

    async def close(self) -> None:
        await self.w3.provider.disconnect()

    def _reader(self) -> EscrowReader:
        """The reader for the deployment file as it is now. Locally the contracts may be
        deployed (again) after the registry started, so the file is read when it changes."""
        try:
            changed = self.deployment_file.stat().st_mtime_ns
        except FileNotFoundError:
            raise EscrowUnavailable(
                f"no contract deployment at {self.deployment_file}; set PACTLINE_DEPLOYMENT_FILE"
            ) from None
        if self._loaded is None or self._loaded[0] != changed:
            try:
                deployment = Deployment.load(self.deployment_file)
            except (DeploymentMissing, ValueError) as exc:
                raise EscrowUnavailable(f"the deployment file {self.deployment_file} is unreadable: {exc}") from None
            self._loaded = (changed, EscrowReader(self.w3, deployment))
        return self._loaded[1]

    def _evaluator(self, deployment: Deployment) -> str:
        evaluator = self.evaluator_address or deployment.evaluator
        if evaluator is None:
            raise EscrowUnavailable(
                "the platform's evaluator address is unknown: set PACTLINE_SETTLEMENT_EVALUATOR_ADDRESS"
            )
        return evaluator

    async def require(self, acceptance: Acceptance, escrow_job_id: str | None) -> None:
        """Return when the escrow on chain backs one more task of ``acceptance``; otherwise raise
        the registry error that names what is missing or which terms differ."""
        reader = self._reader()
        evaluator = self._evaluator(reader.deployment)
        try:
            if acceptance.mode is EscrowMode.PER_TASK:
                assert escrow_job_id is not None  # the domain requires it for per_task
                await self._require_job(reader, acceptance, evaluator, escrow_job_id)
            else:
                await self._require_pool(reader, acceptance, evaluator)
        except RegistryError:
            raise
        except ChainMismatch as exc:
            raise EscrowUnavailable(str(exc)) from None
        except EscrowReverted as exc:  # a read that reverted for another reason than "not found"
            raise EscrowUnavailable(f"the escrow contract refused a read: {exc.error}") from None
        except (ClientError, TimeoutError, OSError, Web3Exception) as exc:
            log.warning("escrow check failed: %s: %s", type(exc).__name__, exc)
            raise EscrowUnavailable(f"the chain's RPC did not answer: {type(exc).__name__}") from None

    async def _require_job(self, reader: EscrowReader, acceptance: Acceptance, evaluator: str, job_text: str) -> None:
        job_id = int(job_text)
        if job_id > MAX_UINT256:
            raise invalid_field("escrow_job_id_invalid", "/escrow_job_id", "larger than a uint256")
        terms = JobTerms(
            client=acceptance.buyer_address,
            provider=acceptance.provider_address,
            evaluator=evaluator,
            token=reader.deployment.usdc,
            budget=acceptance.price_per_task,
        )
        try:
            # Submitted counts too: the provider may submit before the buyer reports the task.
            await check_job(reader, job_id, terms, allow_submitted=True)
        except JobNotFound:
            raise invalid_field(
                "escrow_job_not_found", "/escrow_job_id", f"there is no escrow job {job_id} on chain"
            ) from None
        except JobTermsMismatch as exc:
            terms_text = ", ".join(m.term for m in exc.mismatches)
            raise Invalid(
                "escrow_job_mismatch",
                f"escrow job {job_id} does not belong to this acceptance: its {terms_text} differ from what was "
                "accepted (a job pays for a task only when the buyer created it for this agent's operator, with "
                "the platform's evaluator and the accepted token and price)",
                _term_fields("/escrow_job_id", exc.mismatches),
            ) from None
        except JobNotFunded as exc:
            raise Conflict(
                "escrow_job_not_funded",
                f"escrow job {job_id} is {exc.status.name}: fund it (pactline escrow fund) before reporting the task",
                (FieldError("/escrow_job_id", f"status {exc.status.name}, not FUNDED"),),
            ) from None
        except JobExpired as exc:
            raise Conflict(
                "escrow_job_expired",
                f"escrow job {job_id} expired at {exc.expired_at} (unix time); it can only be refunded",
                (FieldError("/escrow_job_id", "expired"),),
            ) from None

    async def _require_pool(self, reader: EscrowReader, acceptance: Acceptance, evaluator: str) -> None:
        assert acceptance.pool_size is not None  # aggregate acceptances always have one
        terms = PoolTerms(
            buyer=acceptance.buyer_address,
            acceptance_id=bytes32_from_identifier(acceptance.acceptance_id),
            provider=acceptance.provider_address,
            evaluator=evaluator,
            token=reader.deployment.usdc,
            amount=acceptance.pool_size,
            price_per_task=acceptance.price_per_task,
            expires_at=int(acceptance.expires_at.timestamp()),
        )
        try:
            await check_pool(reader, terms)
        except PoolNotFound as exc:
            raise Conflict(
                "escrow_pool_not_funded",
                f"the buyer has no pool for acceptance {acceptance.acceptance_id!r} on chain (pool id "
                f"0x{exc.pool_id.hex()}): open and fund it (pactline escrow open-pool) before reporting tasks",
            ) from None
        except PoolTermsMismatch as exc:
            terms_text = ", ".join(m.term for m in exc.mismatches)
            raise Conflict(
                "escrow_pool_mismatch",
                f"the buyer's pool 0x{exc.pool_id.hex()} for this acceptance differs from what was accepted in: "
                f"{terms_text}",
                _term_fields("", exc.mismatches),
            ) from None
        except PoolNotActive as exc:
            raise Conflict(
                "escrow_pool_not_active",
                f"the buyer's pool 0x{exc.pool_id.hex()} is {exc.status.name} and expires at {exc.expired_at} "
                "(unix time): it pays for no new task",
            ) from None
        except EscrowTermsError as exc:  # pragma: no cover - every kind is handled above
            raise EscrowUnavailable(str(exc)) from None
