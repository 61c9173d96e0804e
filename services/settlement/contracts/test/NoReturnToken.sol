// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title NoReturnToken
 * @notice Test-only ERC-20 whose transfer, transferFrom and approve return nothing (like USDT on
 * mainnet), which a plain IERC20 call would fail to decode; SafeERC20 must accept it.
 */
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;
    uint8 public constant decimals = 6;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /**
     * @notice Mint test tokens.
     * @param to Recipient.
     * @param amount Amount.
     */
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
        emit Transfer(address(0), to, amount);
    }

    /**
     * @notice Approve without returning a value.
     * @param spender Spender.
     * @param amount Allowance.
     */
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    /**
     * @notice Transfer without returning a value.
     * @param to Recipient.
     * @param amount Amount.
     */
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /**
     * @notice Transfer from an approved owner without returning a value.
     * @param from Owner.
     * @param to Recipient.
     * @param amount Amount.
     */
    function transferFrom(address from, address to, uint256 amount) external {
        require(allowance[from][msg.sender] >= amount, "allowance");
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
