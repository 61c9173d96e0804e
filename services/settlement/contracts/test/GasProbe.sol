// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title GasProbe
 * @notice Bench-only: measures the cost of storing one fresh 32-byte slot, as the difference
 * between {store} and {noop} called with identical calldata.
 */
contract GasProbe {
    mapping(uint256 => bytes32) private _slots;

    /**
     * @notice Store a value in a mapping slot.
     * @param key Slot key.
     * @param value Value.
     */
    function store(uint256 key, bytes32 value) external {
        _slots[key] = value;
    }

    /**
     * @notice Same calldata shape as {store}, no storage write.
     */
    function noop(uint256, bytes32) external {}
}
