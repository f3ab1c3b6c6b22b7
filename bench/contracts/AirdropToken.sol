// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A minimal ERC20 (balanceOf, transfer, approve, transferFrom, totalSupply,
/// metadata) with a cheap way to create very many holders for benchmarks and
/// tests: `airdrop(start, count)` credits `count` derived addresses and emits
/// one Transfer(0x0, holder, value) per holder, in one transaction.
///
/// Holder i is address(uint160(uint256(keccak256(abi.encode(salt, i))))), and
/// its amount is 1 + (i % 997) * unit: many equal balances, so the holder
/// order's address tie-break is exercised too. Anyone may call airdrop; calling
/// it twice for the same i credits that holder twice.
contract AirdropToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    uint256 public immutable salt;
    uint256 public immutable unit;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_, uint256 salt_, uint256 unit_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
        salt = salt_;
        unit = unit_;
    }

    function holderAt(uint256 i) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(salt, i)))));
    }

    function amountAt(uint256 i) public view returns (uint256) {
        return 1 + (i % 997) * unit;
    }

    function airdrop(uint256 start, uint256 count) external {
        uint256 minted = 0;
        for (uint256 i = start; i < start + count; i++) {
            address to = holderAt(i);
            uint256 v = amountAt(i);
            balanceOf[to] += v;
            minted += v;
            emit Transfer(address(0), to, v);
        }
        totalSupply += minted;
    }

    function mint(address to, uint256 v) external {
        balanceOf[to] += v;
        totalSupply += v;
        emit Transfer(address(0), to, v);
    }

    function transfer(address to, uint256 v) external returns (bool) {
        _move(msg.sender, to, v);
        return true;
    }

    function approve(address spender, uint256 v) external returns (bool) {
        allowance[msg.sender][spender] = v;
        emit Approval(msg.sender, spender, v);
        return true;
    }

    function transferFrom(address from, address to, uint256 v) external returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a != type(uint256).max) {
            require(a >= v, "allowance");
            allowance[from][msg.sender] = a - v;
        }
        _move(from, to, v);
        return true;
    }

    function _move(address from, address to, uint256 v) private {
        require(balanceOf[from] >= v, "balance");
        balanceOf[from] -= v;
        balanceOf[to] += v;
        emit Transfer(from, to, v);
    }
}
