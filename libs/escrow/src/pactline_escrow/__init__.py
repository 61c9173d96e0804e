"""Client side of Pactline's escrow contracts: role-split bindings, verdict Merkle trees, deployment.

Each role signs with its own key: buyers fund, providers submit, the evaluator settles.
"""

from pactline_escrow.buyer import BuyerClient
from pactline_escrow.deployment import Deployment
from pactline_escrow.errors import EscrowReverted
from pactline_escrow.evaluator import EvaluatorClient
from pactline_escrow.merkle import VerdictBatch, VerdictLeaf, VerdictOutcome, VerdictTree
from pactline_escrow.models import Job, JobStatus, Pool, PoolStatus, TxResult
from pactline_escrow.provider import ProviderClient
from pactline_escrow.reader import EscrowReader

__all__ = [
    "BuyerClient",
    "Deployment",
    "EscrowReader",
    "EscrowReverted",
    "EvaluatorClient",
    "Job",
    "JobStatus",
    "Pool",
    "PoolStatus",
    "ProviderClient",
    "TxResult",
    "VerdictBatch",
    "VerdictLeaf",
    "VerdictOutcome",
    "VerdictTree",
]
