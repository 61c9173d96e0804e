// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title GasProbe
 * @notice Bench-only: measures the cost of storing one fresh 32-byte slot, as the difference
 * between {store} and {noop} called with identical calldata.
 * @dev Both functions first read a cold slot so that their execution cost stays above the
 * EIP-7623 calldata floor; otherwise {noop} would be billed the floor and skew the difference.
 */
contract GasProbe {
    mapping(uint256 => bytes32) private _slots;
    uint256 private _pad;

    /**
     * @notice Store a value in a fresh mapping slot.
     * @param key Slot key.
     * @param value Value.
     */
    function store(uint256 key, bytes32 value) external {
        if (_pad == 1) return;
        _slots[key] = value;
    }

    /**
     * @notice Same calldata shape and cold read as {store}, no storage write.
     */
    function noop(uint256, bytes32) external view {
        if (_pad == 1) return;
    }
}
