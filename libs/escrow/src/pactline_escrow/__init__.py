"""Client side of Pactline's escrow contracts: role-split bindings, verdict Merkle trees and the
batch chain, escrow-term checks for the registry, deployment.

Each role signs with its own key: buyers fund, providers submit, the evaluator settles.
"""

from pactline_escrow.buyer import BuyerClient
from pactline_escrow.deployment import Deployment
from pactline_escrow.errors import ChainMismatch, EscrowReverted, MockTokenRefused
from pactline_escrow.evaluator import EvaluatorClient
from pactline_escrow.merkle import InvalidBatch, VerdictBatch, VerdictLeaf, VerdictOutcome, VerdictTree, batch_link
from pactline_escrow.models import BatchRecord, Job, JobStatus, Pool, PoolStatus, SettledBatch, TxResult
from pactline_escrow.provider import ProviderClient
from pactline_escrow.reader import EscrowReader

__all__ = [
    "BatchRecord",
    "BuyerClient",
    "ChainMismatch",
    "Deployment",
    "EscrowReader",
    "EscrowReverted",
    "EvaluatorClient",
    "InvalidBatch",
    "Job",
    "JobStatus",
    "MockTokenRefused",
    "Pool",
    "PoolStatus",
    "ProviderClient",
    "SettledBatch",
    "TxResult",
    "VerdictBatch",
    "VerdictLeaf",
    "VerdictOutcome",
    "VerdictTree",
    "batch_link",
]
