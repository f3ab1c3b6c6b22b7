// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// ERC20-shaped Transfer events with no balances behind them: anyone emits any transfer, so the
/// logs push accounts below zero (an indexer counts negative balances and keeps them out of the
/// holders). balanceOf and totalSupply are always 0: only the logs say anything.
contract LogToken {
    event Transfer(address indexed from, address indexed to, uint256 value);

    string public name = "Log Only Token";
    string public symbol = "LOG";
    uint8 public constant decimals = 0;

    function emitTransfer(address from, address to, uint256 value) external {
        emit Transfer(from, to, value);
    }

    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }

    function totalSupply() external pure returns (uint256) {
        return 0;
    }
}
