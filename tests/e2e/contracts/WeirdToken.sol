// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Emits logs whose topic0 is keccak256("Transfer(address,address,uint256)") but whose shape is
/// NOT the ERC20 one (3 topics + 32 bytes of data). An ERC20 indexer must not touch balances.
/// It keeps no balances at all.
contract WeirdToken {
    bytes32 internal constant TRANSFER_TOPIC = keccak256("Transfer(address,address,uint256)");

    /// 3 topics (from, to indexed) but 64 bytes of data: value plus an extra word.
    function weirdExtraData(address from, address to, uint256 value, uint256 extra) external {
        bytes32 topic = TRANSFER_TOPIC;
        bytes memory data = abi.encode(value, extra);
        assembly {
            log3(add(data, 32), mload(data), topic, from, to)
        }
    }

    /// 2 topics (only from indexed); to and value in data (64 bytes).
    function weirdTwoTopics(address from, address to, uint256 value) external {
        bytes32 topic = TRANSFER_TOPIC;
        bytes memory data = abi.encode(to, value);
        assembly {
            log2(add(data, 32), mload(data), topic, from)
        }
    }

    /// For self-checks: the topic the harness hardcodes.
    function transferTopic() external pure returns (bytes32) {
        return TRANSFER_TOPIC;
    }
}
