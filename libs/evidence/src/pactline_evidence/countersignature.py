"""Signing and checking a provider's countersignature over a task report (EIP-712).

The platform never holds a provider's key: providers sign with ``countersign`` on their side
(``pactline evidence countersign``); the registry only recovers the signer and compares it
with the operator's registered address.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils.exceptions import ValidationError as EthValidationError

from pactline_events import Countersignature

from .task_report import TaskReport, typed_data


class CountersignatureInvalid(ValueError):
    """The signature is malformed or was not made by the expected address over this report."""

    def __init__(self, reason: str, *, expected: str | None = None, recovered: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected
        self.recovered = recovered


def countersign(report: TaskReport, private_key: str | bytes) -> Countersignature:
    """The provider's side: sign ``report`` with the operator's key."""
    signed = Account.sign_message(encode_typed_data(full_message=typed_data(report)), private_key)
    signature = "0x" + bytes(signed.signature).hex()
    return Countersignature(signer=Account.from_key(private_key).address, signature=signature)


def recover_signer(report: TaskReport, signature: str) -> str:
    """The checksummed address that made ``signature`` over ``report``."""
    raw = signature.removeprefix("0x")
    if len(raw) != 130 or any(c not in "0123456789abcdefABCDEF" for c in raw):
        raise CountersignatureInvalid("a signature is 65 bytes as 0x-hex (130 hex digits)")
    try:
        return Account.recover_message(encode_typed_data(full_message=typed_data(report)), signature=bytes.fromhex(raw))
    except (BadSignature, EthValidationError, ValueError) as exc:
        raise CountersignatureInvalid(f"the signature cannot be recovered: {exc}") from None


def verify(report: TaskReport, countersignature: Countersignature, expected_address: str) -> None:
    """Raise ``CountersignatureInvalid`` unless ``expected_address`` signed exactly ``report``."""
    recovered = recover_signer(report, countersignature.signature)
    if recovered.lower() != expected_address.lower():
        raise CountersignatureInvalid(
            f"the signature was made by {recovered} over this report, not by the provider's registered "
            f"address {expected_address} (a changed measurement or digest also gives another signer)",
            expected=expected_address,
            recovered=recovered,
        )
    if countersignature.signer.lower() != expected_address.lower():
        raise CountersignatureInvalid(
            f"signer {countersignature.signer} is not the provider's registered address {expected_address}",
            expected=expected_address,
            recovered=recovered,
        )
