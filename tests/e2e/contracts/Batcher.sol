// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// Performs several transferFrom calls (possibly on different tokens) in ONE transaction,
/// so several Transfer logs share a transaction hash. Each `froms[i]` must have approved
/// this contract on `tokens[i]`.
contract Batcher {
    function batch(
        address[] calldata tokens,
        address[] calldata froms,
        address[] calldata tos,
        uint256[] calldata amounts
    ) external {
        require(
            tokens.length == froms.length && froms.length == tos.length && tos.length == amounts.length,
            "length mismatch"
        );
        for (uint256 i = 0; i < tokens.length; i++) {
            require(IERC20(tokens[i]).transferFrom(froms[i], tos[i], amounts[i]), "transferFrom failed");
        }
    }
}
