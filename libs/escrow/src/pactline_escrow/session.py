"""Role clients built from the environment: RPC URL, deployment file and the role's own key."""

from __future__ import annotations

from pactline_escrow import settings
from pactline_escrow.buyer import BuyerClient
from pactline_escrow.chain import account_from_key, connect
from pactline_escrow.deployment import Deployment
from pactline_escrow.evaluator import EvaluatorClient
from pactline_escrow.provider import ProviderClient
from pactline_escrow.reader import EscrowReader


def load_deployment() -> Deployment:
    return Deployment.load(settings.deployment_file())


def buyer_from_env() -> BuyerClient:
    key = settings.private_key(settings.Role.BUYER)
    return BuyerClient(connect(settings.rpc_url()), account_from_key(key), load_deployment())


def provider_from_env() -> ProviderClient:
    key = settings.private_key(settings.Role.PROVIDER)
    return ProviderClient(connect(settings.rpc_url()), account_from_key(key), load_deployment())


def evaluator_from_env() -> EvaluatorClient:
    key = settings.private_key(settings.Role.EVALUATOR)
    return EvaluatorClient(connect(settings.rpc_url()), account_from_key(key), load_deployment())


def reader_from_env() -> EscrowReader:
    return EscrowReader(connect(settings.rpc_url()), load_deployment())
