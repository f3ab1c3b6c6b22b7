// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A fee-on-transfer ERC20: a transfer between two holders sends 1% to the collector, as its own
/// Transfer event, and the rest to the recipient. Its logs and balanceOf agree; a transfer is two
/// events. Mints, burns and the collector's own transfers pay no fee.
contract FeeToken is ERC20 {
    address public immutable collector;

    constructor(address collector_) ERC20("Fee Token", "FEE") {
        collector = collector_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || from == collector || to == collector) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value / 100;
        super._update(from, collector, fee);
        super._update(from, to, value - fee);
    }
}
