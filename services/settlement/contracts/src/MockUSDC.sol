// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title MockUSDC
 * @notice A 6-decimal stand-in for USDC on local chains. Anyone can mint: never deploy it where
 * the real USDC exists (on Base the token address comes from configuration).
 */
contract MockUSDC is ERC20 {
    constructor() ERC20("Mock USD Coin", "USDC") {}

    /// @notice USDC uses 6 decimals.
    /// @return 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /**
     * @notice Mint test tokens.
     * @param to Recipient.
     * @param amount Amount in minor units.
     */
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
