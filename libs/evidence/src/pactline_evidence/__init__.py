"""Evidence both sides can check: the provider's countersignature over a buyer's task report
(EIP-712) and the policy deciding which agent endpoints the platform may call."""

from pactline_evidence.agent_endpoints import AgentEndpointSettings, EndpointPolicy, EndpointRefused
from pactline_evidence.countersignature import CountersignatureInvalid, countersign, recover_signer, verify
from pactline_evidence.task_report import DOMAIN, TASK_REPORT_TYPES, TaskReport, typed_data

__all__ = [
    "DOMAIN",
    "TASK_REPORT_TYPES",
    "AgentEndpointSettings",
    "CountersignatureInvalid",
    "EndpointPolicy",
    "EndpointRefused",
    "TaskReport",
    "countersign",
    "recover_signer",
    "typed_data",
    "verify",
]
