// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An ERC20 whose balanceOf drifts from its Transfer events: balances are stored in raw units and
/// balanceOf/totalSupply multiply them by `factor`, which setFactor changes WITHOUT emitting any
/// Transfer (a rebase). Transfer events carry raw units, so an indexer that sums events matches
/// balanceOf only while factor == 1. Used by admin.test.mjs to make `erc20-indexer verify` fail.
contract RebasingToken {
    event Transfer(address indexed from, address indexed to, uint256 value);

    string public name = "Rebasing Test Token";
    string public symbol = "REB";
    uint8 public constant decimals = 18;
    uint256 public factor = 1;

    mapping(address => uint256) private _raw;
    uint256 private _rawSupply;

    function balanceOf(address account) external view returns (uint256) {
        return _raw[account] * factor;
    }

    function totalSupply() external view returns (uint256) {
        return _rawSupply * factor;
    }

    /// Rebase: every balance is multiplied by `f`; no event.
    function setFactor(uint256 f) external {
        factor = f;
    }

    /// Emits Transfer(0x0, to, amount) in raw units.
    function mint(address to, uint256 amount) external {
        _raw[to] += amount;
        _rawSupply += amount;
        emit Transfer(address(0), to, amount);
    }

    /// Moves raw units; emits Transfer(msg.sender, to, amount).
    function transfer(address to, uint256 amount) external returns (bool) {
        _raw[msg.sender] -= amount;
        _raw[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }
}
