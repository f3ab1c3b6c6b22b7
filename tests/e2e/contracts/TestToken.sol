// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// Plain OpenZeppelin ERC20 for tests: anyone may mint and burn.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// Emits Transfer(0x0, to, amount).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// Emits Transfer(from, 0x0, amount). No allowance needed: test-only.
    function burn(address from, uint256 amount) external {
        _burn(from, amount);
    }
}
