// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title BlacklistToken
 * @notice Test-only 6-decimal token that, like USDC, refuses every transfer from or to a
 * blacklisted address, so tests can show that a refusing recipient does not lock escrowed funds.
 */
contract BlacklistToken is ERC20 {
    mapping(address account => bool) public blacklisted;

    /// @dev The token refuses to move funds from or to `account`.
    error BlacklistTokenBlocked(address account);

    constructor() ERC20("Blacklist USD", "BUSD") {}

    /// @notice USDC uses 6 decimals.
    /// @return 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /**
     * @notice Mint test tokens.
     * @param to Recipient.
     * @param amount Amount.
     */
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /**
     * @notice Block or unblock an address (anyone may call it: test-only).
     * @param account The address.
     * @param blocked Whether transfers from or to it are refused.
     */
    function setBlacklisted(address account, bool blocked) external {
        blacklisted[account] = blocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blacklisted[from]) revert BlacklistTokenBlocked(from);
        if (blacklisted[to]) revert BlacklistTokenBlocked(to);
        super._update(from, to, value);
    }
}
