// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A minimal ERC20 (balanceOf, transfer, approve, transferFrom, totalSupply,
/// metadata) that emits many real Transfer events per transaction cheaply, for
/// bench/backfill.sh. Every event moves real balances, so `balanceOf` and
/// `totalSupply` always agree with the events.
///
/// Holders are derived addresses shared by every token deployed with the same
/// `salt`: holder i = address(uint160(uint256(keccak256(abi.encode(salt, i))))),
/// 0 <= i < `holders`.
///
/// * The constructor mints `treasurySupply` to the token's treasury (its
///   hottest holder, `rankToHolder(0)`), like an exchange or distributor wallet.
/// * `mintRange(first, step, count)` mints to holders first, first + step, ...
///   (an airdrop: one Transfer from 0x0 per holder).
/// * `churn(seed, count)` does `count` pseudo-random moves. Sender and
///   receiver are drawn with a power law: rank = holders * u^3 for a uniform
///   u in [0, 1) (the top rank gets ~2% of the draws with 100,000 holders),
///   mapped to a holder index through a per-token permutation
///   (rank * mult + offset) % holders, so each token has its own hot holders.
///   A sender with a zero balance is replaced by the treasury (a payout); a
///   move is a uniform fraction of the sender's balance (at most 1/256 of it
///   for the treasury), the whole balance with probability 29/256 (never for
///   the treasury), a burn (to 0x0) of a fraction with probability 3/256.
///   When the treasury cannot pay, it is a mint.
contract ManyTransfers {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    uint256 public immutable salt;
    uint256 public immutable holders;
    uint256 public immutable mult;
    uint256 public immutable offset;
    uint256 public immutable unit;
    address public immutable treasury;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(
        string memory name_,
        string memory symbol_,
        uint256 salt_,
        uint256 holders_,
        uint256 mult_,
        uint256 offset_,
        uint256 unit_,
        uint256 treasurySupply
    ) {
        require(holders_ > 1 && mult_ % holders_ != 0, "params");
        name = name_;
        symbol = symbol_;
        salt = salt_;
        holders = holders_;
        mult = mult_;
        offset = offset_;
        unit = unit_;
        address t = address(uint160(uint256(keccak256(abi.encode(salt_, offset_ % holders_)))));
        treasury = t;
        balanceOf[t] = treasurySupply;
        totalSupply = treasurySupply;
        emit Transfer(address(0), t, treasurySupply);
    }

    function holderAt(uint256 i) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(salt, i)))));
    }

    /// Holder index of popularity rank r (0 = hottest) for this token.
    function rankToHolder(uint256 r) public view returns (uint256) {
        return (r * mult + offset) % holders;
    }

    /// Power-law rank for a uniform 32-bit u.
    function drawRank(uint256 u) public view returns (uint256) {
        return (holders * u * u * u) >> 96;
    }

    function mintRange(uint256 first, uint256 step, uint256 count) external {
        uint256 minted = 0;
        for (uint256 k = 0; k < count; ++k) {
            uint256 i = first + k * step;
            address to = holderAt(i);
            uint256 v = unit * (1 + (uint256(keccak256(abi.encode(salt, i, address(this)))) % 1000));
            balanceOf[to] += v;
            minted += v;
            emit Transfer(address(0), to, v);
        }
        totalSupply += minted;
    }

    function churn(uint256 seed, uint256 count) external {
        address t = treasury;
        for (uint256 k = 0; k < count; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            address from = holderAt(rankToHolder(drawRank(r & 0xffffffff)));
            address to = holderAt(rankToHolder(drawRank((r >> 32) & 0xffffffff)));
            uint256 sel = (r >> 64) & 0xff;
            uint256 frac = (r >> 96) & 0xffff;
            uint256 b = balanceOf[from];
            if (b == 0) {
                // A payout from the treasury, or a mint when it cannot pay.
                uint256 v = unit * (1 + ((r >> 128) % 1000));
                uint256 tb = balanceOf[t];
                if (tb >= v && to != t) {
                    balanceOf[t] = tb - v;
                    balanceOf[to] += v;
                    emit Transfer(t, to, v);
                } else {
                    balanceOf[to] += v;
                    totalSupply += v;
                    emit Transfer(address(0), to, v);
                }
            } else {
                // The treasury pays out at most 1/256 of its balance at a time.
                uint256 v = from == t ? (b * frac) >> 24 : (sel >= 3 && sel < 32) ? b : (b * frac) >> 16;
                if (sel < 3) {
                    balanceOf[from] = b - v;
                    totalSupply -= v;
                    emit Transfer(from, address(0), v);
                } else {
                    if (from != to) {
                        balanceOf[from] = b - v;
                        balanceOf[to] += v;
                    }
                    emit Transfer(from, to, v);
                }
            }
        }
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
