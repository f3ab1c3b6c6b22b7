#pragma once
// Internal to storage/: the rows a batch of transfers derives, as a plan of
// named steps (Store::apply and Store::apply_backfill run it):
//
//   1. index     the batch's tokens (their stats before) and (token, holder)
//                pairs, each transfer's entries
//   2. balances  the stored balance of every pair, one sorted MultiGet
//   3. rank      the key order of tokens, pairs and accounts, as integers, so
//                that Writes sorts integers rather than keys
//   4. transfers per transfer: its row, its index rows, its token's counters,
//                the pairs' balances in memory; per block, the history rows
//                and their ranked_history entries (ranked_history.hpp) and
//                each token's token_blocks row and its chain_activity entry
//                (written after the step: chain_activity.hpp)
//   5. times     the block times
//   6. holders   each pair's balance change (balances, holders, account_tokens)
//   7. tokens    each token's stats and rankings, and the result

#include <unordered_map>
#include <vector>

#include "storage/chain_activity.hpp"
#include "storage/ranked_history.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

class ApplyPlan {
  public:
    /// With `backfill`, a token that already has stats must have no transfer
    /// at or after batch.first (its rows are appended after its last block).
    ApplyPlan(const Store::Impl& d, const rocksdb::ReadOptions& ro, const BlockBatch& batch,
              bool backfill);

    /// Runs every step into `wb`, and the new counts into `totals`.
    ApplyResult run(Writes& wb, Totals& totals);

  private:
    struct TokenEntry {
        Address token;
        std::optional<TokenStats> before;  // nullopt for a new token
        TokenStats now;                    // holders and negative_balances: step 6 counts them
        // As of the last flushed block (its token_blocks row): step 4 counts them.
        uint64_t holders{0};
        uint64_t negative_balances{0};
        BlockNum dirty_block;  // the last block with a pending token_blocks row
        uint64_t previous;     // the last flushed block + 1, 0 before the token's first
    };
    // A holder whose balance a non-zero transfer moves: read once, then
    // updated in memory.
    struct PairEntry {
        Address token;
        Address holder;
        uint32_t token_entry;
        uint32_t rank{0};          // position in (token, holder) order
        uint32_t account_rank{0};  // position of the holder among the batch's accounts
        BlockNum dirty_block;      // last block whose history row is pending
        Balance before;
        Balance now;
        BalanceRow stored;   // the balances row before the batch
        BalanceRow flushed;  // the last history row (stored, before any)
    };
    static constexpr uint32_t kNone = ~uint32_t{0};

    void index();
    uint32_t token_of(const Transfer& t);
    uint32_t pair_of(const Address& token, uint32_t token_entry, const Address& holder);
    void read_balances();
    void rank_tokens();
    void rank_pairs();
    void write_transfers(Writes& wb);
    void write_index_rows(Writes& wb, size_t k, const Transfer& t);
    void count(size_t k, const Transfer& t);
    void touch(uint32_t pair);
    void flush_history(Writes& wb);
    void flush_token_blocks(Writes& wb);
    void write_block_times(Writes& wb) const;
    void write_holders(Writes& wb);
    ApplyResult write_tokens(Writes& wb, Totals& totals);

    const Store::Impl& d_;
    const rocksdb::ReadOptions& ro_;
    const BlockBatch& batch_;
    const bool backfill_;

    std::vector<TokenEntry> tokens_;
    std::unordered_map<Address, uint32_t, AddressHasher> token_index_;
    std::vector<PairEntry> pairs_;
    // Open addressing over entry indexes: at most two pairs per transfer,
    // so the table never fills past a quarter.
    std::vector<uint32_t> pair_slots_;
    size_t slot_mask_{0};
    std::vector<uint32_t>
        transfer_pairs_;  // per transfer: from's and to's entry, or kNone (zero address)
    std::vector<uint32_t> transfer_tokens_;  // per transfer: its token's entry
    std::vector<uint32_t> token_rank_;       // per token entry: its rank in address order

    // Step 4's state: the block being written and its pairs whose history
    // row is pending (one per pair per block, the balance at its end).
    BlockNum block_{0};
    std::vector<uint32_t> dirty_;
    std::vector<uint32_t> dirty_tokens_;  // token entries with a transfer in the block
    size_t transfers_{0};
    size_t flushed_transfers_{0};  // transfers_ at the last flush
    ChainActivityWriter chain_;
    std::string value_;  // a transfers or token_blocks value, reused
    RankedWriter ranked_;
};

}  // namespace erc20::storage
