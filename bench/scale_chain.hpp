#pragma once
// bench/scale's chain: a deterministic, seeded, mainnet-shaped stream of
// blocks of ERC20 Transfer logs (and ~1% ERC721 Transfer logs, which
// extraction must drop), generated block by block, never all in memory.
//
// Shape, scaled with the number of transfers N (the figures at N = 100M):
//  - N/10 addresses (10M), N/5000 tokens (20,000), both at least a minimum;
//    addresses and tokens are hashes of their index (no table).
//  - token activity: the top token takes 32% of the transfers; the others
//    follow a Zipf-Mandelbrot law (s 1.6, q 5): the second ~6%, the last
//    ones a handful of transfers each.
//  - address activity: a power law (Zipf s 1) over each token's own
//    permutation of the addresses (the 64 hottest shared by every token:
//    exchanges, routers); half of the receivers uniform (new holders).
//    Senders are the token's recent receivers or hot holders and send only
//    what they hold (part of it, or all of it in 12% of transfers), so no
//    balance ever goes negative; a sender found empty becomes a mint.
//  - mints (1.5% plus the empty senders), burns (1%), zero-value (0.5%) and
//    self transfers (0.5%); amounts are units times a per-token multiplier
//    (10^12 for 18 decimals, 1 for 6, 100 for 8; 2^191 for one token in a
//    thousand, whose first mint of 2^63 units is worth 2^254).
//  - transfers per block log-normal (median 140, sigma 0.75), 1% of blocks
//    8x (airdrops, spam), 1% empty.
// State: a balance table of every (token, holder) pair with a positive
// balance (16 bytes per slot, open addressing, load <= 0.7), a ring of 16
// recent receivers per token, the token table of the Zipf law.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "common/types.hpp"

namespace erc20::bench {

inline constexpr uint32_t kNoAddress = ~uint32_t{0};  // the zero address, as an index
inline constexpr BlockNum kScaleStartBlock = 18'000'000;
inline constexpr uint64_t kScaleGenesisTime = 1'690'000'000;

struct ChainShape {
    uint64_t transfers{100'000'000};
    uint64_t addresses{0};  // 0: transfers / 10, at least 10,000
    uint32_t tokens{0};     // 0: transfers / 5,000, at least 50
    uint64_t seed{1};
};
[[nodiscard]] ChainShape scaled(ChainShape s);

Address token_address(uint64_t seed, uint32_t token);
Address account_address(uint64_t seed, uint32_t index);
Hash chain_block_hash(uint64_t seed, BlockNum n);
Hash txn_hash(uint64_t seed, BlockNum n, uint32_t txn_index);
struct GenLog;
/// The contract that emits `log`: its token, or one of 5,000 ERC721 collections.
Address log_contract(uint64_t seed, const GenLog& log);
inline uint64_t chain_block_time(BlockNum n) {
    return kScaleGenesisTime + 12 * (n - kScaleStartBlock);
}

struct GenLog {
    uint32_t token{0};  // ERC20: the token's index; ERC721: a collection id
    uint32_t from{kNoAddress};
    uint32_t to{kNoAddress};
    uint32_t txn_index{0};
    uint32_t log_index{0};
    bool nft{false};
    uint64_t units{0};  // ERC20: the amount / multiplier(token); ERC721: the token id
};

struct GenBlock {
    BlockNum number{0};
    uint64_t transfers{0};  // ERC20 logs
    std::vector<GenLog> logs;
};

struct GenStats {
    uint64_t transfers{0}, blocks{0}, logs{0}, nft_logs{0};
    uint64_t mints{0}, burns{0}, zero_value{0}, self{0}, whole_balance{0}, empty_sender{0};
    uint64_t top_token_transfers{0};
    uint64_t max_block_transfers{0};
};

class ChainGenerator {
  public:
    explicit ChainGenerator(const ChainShape& shape);

    /// The next block; false once every transfer has been made.
    bool next_block(GenBlock& out);

    [[nodiscard]] const ChainShape& shape() const { return shape_; }
    [[nodiscard]] const GenStats& stats() const { return stats_; }
    /// The 32-byte big-endian amount of an ERC20 log.
    [[nodiscard]] std::array<uint8_t, 32> amount_word(const GenLog& log) const;
    /// Holders with a positive balance of a token now.
    [[nodiscard]] uint64_t holders(uint32_t token) const { return holders_[token]; }
    [[nodiscard]] uint64_t balance_units(uint32_t token, uint32_t holder) const;
    /// The multiplier of a token as 4 little-endian 64-bit limbs.
    [[nodiscard]] const std::array<uint64_t, 4>& multiplier(uint32_t token) const {
        return mult_[token];
    }
    /// Bytes the generator's state takes (balance table, rings, tables).
    [[nodiscard]] uint64_t state_bytes() const;
    [[nodiscard]] uint64_t balance_pairs() const { return used_; }
    /// A holder of `token` drawn as its senders are (hot ones likelier).
    uint32_t pick_holder(uint32_t token);

  private:
    uint32_t pick_token();
    uint32_t pick_receiver(uint32_t token);
    uint32_t pick_sender(uint32_t token);
    GenLog next_transfer();
    GenLog mint(uint32_t token, uint32_t to, uint64_t units);
    uint64_t mint_units();
    uint64_t block_size();
    // The balance table: key (token << 32 | holder) + 1, 0 = empty slot.
    uint64_t* find_slot(uint64_t key);
    void add_units(uint32_t token, uint32_t holder, uint64_t units);
    void sub_units(uint32_t token, uint32_t holder, uint64_t units);
    void erase_at(size_t i);
    void grow();

    ChainShape shape_;
    Rng rng_;
    Zipf token_zipf_;
    std::vector<std::array<uint64_t, 4>> mult_;
    std::vector<uint64_t> perm_a_;
    std::vector<uint32_t> ring_;  // 16 recent receivers per token
    std::vector<uint64_t> holders_;
    std::vector<uint64_t> keys_, values_;
    size_t used_{0};
    BlockNum next_block_{kScaleStartBlock};
    GenStats stats_;
};

/// Appends the logs of `b` as eth_getLogs result entries (comma-separated;
/// `first` is cleared once one is written).
void append_logs_json(std::string& out, const ChainGenerator& g, const GenBlock& b, bool& first);

}  // namespace erc20::bench
