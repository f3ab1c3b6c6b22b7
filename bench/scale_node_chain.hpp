#pragma once
// bench/scale_node's chain: the chain of bench/scale_chain.hpp (same shape
// and seed, same chain as bench/scale replays), generated once at start into
// a file of GenLog records that is then mapped read-only, so the blocks sit in
// the page cache rather than the heap. Beside it, in memory: the first record
// of each block (8 bytes a block), each token's supply after every block that
// minted or burned it (for totalSupply() at a block), the block hashes' index
// and the generator's final state (the balances the checks compare with).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench/scale_chain.hpp"
#include "common/types.hpp"

namespace erc20::bench {

/// What a token answers to eth_call (deterministic from its index): most
/// tokens name(), symbol(), decimals(); some revert on the three (no
/// metadata), some answer bytes32 strings (as MKR), some answer nothing at
/// all ("0x", not a contract at that address for the node).
enum class TokenKind { kNormal, kReverts, kBytes32, kEmpty };
TokenKind token_kind(uint32_t token);

class NodeChain {
  public:
    /// Generates the chain into `file` (created or truncated, kept until the
    /// object is destroyed).
    NodeChain(const ChainShape& shape, std::string file);
    ~NodeChain();
    NodeChain(const NodeChain&) = delete;
    NodeChain& operator=(const NodeChain&) = delete;

    [[nodiscard]] uint64_t seed() const { return gen_->shape().seed; }
    [[nodiscard]] BlockNum head() const { return kScaleStartBlock + blocks_ - 1; }
    [[nodiscard]] const ChainGenerator& generator() const { return *gen_; }
    [[nodiscard]] uint64_t total_logs() const { return first_log_.back(); }
    /// Index of the first log of block n in the whole chain (blocks below
    /// the chain's first are empty; n is clipped to the head + 1).
    [[nodiscard]] uint64_t log_offset(BlockNum n) const;
    /// The logs of block n (empty outside the chain).
    [[nodiscard]] std::span<const GenLog> logs(BlockNum n) const;
    [[nodiscard]] std::optional<BlockNum> block_of(const Hash& h) const;
    [[nodiscard]] std::optional<uint32_t> token_of(const Address& a) const;
    /// totalSupply() of `token` at the end of block n, as a 32-byte word.
    [[nodiscard]] std::array<uint8_t, 32> supply_word(uint32_t token, BlockNum n) const;
    /// eth_getBlockByNumber(n, false)'s result object.
    [[nodiscard]] std::string header_json(BlockNum n) const;
    /// The generator's figures the checks compare with, as a JSON object.
    [[nodiscard]] const std::string& expect_json() const { return expect_; }

  private:
    void generate();
    void note_supply(const GenLog& l, BlockNum n);
    std::string make_expect() const;

    std::unique_ptr<ChainGenerator> gen_;
    std::string file_;
    const GenLog* records_{nullptr};
    size_t mapped_bytes_{0};
    uint64_t blocks_{0};
    std::vector<uint64_t> first_log_;  // blocks_ + 1 entries
    // Per token: (block, supply in units after it), one entry per block that changed it.
    std::vector<std::vector<std::pair<BlockNum, U128>>> supply_;
    std::vector<uint64_t> token_transfers_;
    std::unordered_map<uint64_t, BlockNum> hash_index_;  // first 8 bytes of a hash
    std::unordered_map<Address, uint32_t, AddressHasher> token_index_;
    std::string expect_;
};

}  // namespace erc20::bench
