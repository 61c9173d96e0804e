"""Revert decoding never raises, whatever an RPC or a hostile contract hands back."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from pactline_escrow import EscrowReverted
from pactline_escrow.errors import _error_table, decode_revert

KNOWN_SELECTORS = sorted(_error_table())


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    for form in (data, "0x" + data.hex(), data.hex()):
        result = decode_revert(form)
        assert isinstance(result, EscrowReverted)
        assert result.data == "0x" + data.hex()


@given(st.sampled_from(KNOWN_SELECTORS), st.binary(max_size=200))
def test_known_selector_with_garbage_arguments_never_raises(known, tail):
    result = decode_revert(known + tail)
    assert result.error == _error_table()[known][0]
    if result.malformed:
        assert result.error_args == ()


@given(st.one_of(st.none(), st.text(max_size=80), st.integers(), st.lists(st.integers(), max_size=3)))
def test_anything_else_is_unknown_not_an_exception(value):
    result = decode_revert(value)
    assert isinstance(result, EscrowReverted)


def test_well_formed_errors_decode_with_their_arguments():
    data = selector("AgenticCommerceTokenMismatch(uint256,address,address)") + encode(
        ["uint256", "address", "address"],
        [7, "0x" + "11" * 20, "0x" + "22" * 20],
    )
    result = decode_revert("0x" + data.hex())
    assert result.error == "AgenticCommerceTokenMismatch"
    assert result.error_args == (7, "0x" + "11" * 20, "0x" + "22" * 20)
    assert not result.malformed


def test_truncated_and_invalid_utf8_arguments_are_reported_as_malformed():
    truncated = selector("AgenticCommerceBudgetMismatch(uint256,uint256,uint256)") + b"\x00" * 40
    assert decode_revert(truncated).malformed
    bad_string = selector("Error(string)") + encode(["uint256", "uint256"], [32, 2]) + b"\xff\xfe" + b"\x00" * 30
    result = decode_revert(bad_string)
    assert (result.error, result.malformed) == ("Error", True)


def test_unknown_selector_and_non_hex_text():
    assert decode_revert(b"\xde\xad\xbe\xef").error == "Unknown"
    assert decode_revert("execution reverted").error == "Unknown"
    assert decode_revert(b"\x01").error == "Unknown"
