#pragma once
// Internal to storage/: the chain_activity family (layout in chain_rows.hpp)
// as apply, apply_backfill and rollback write it and View::chain_counts
// reads it. Why buckets: the tokens that moved in blocks [lo, hi] are those
// whose first transfer in [lo, hi] follows one before lo (or none), so they
// add up over any tiling of [lo, hi] into the aligned buckets of 16^level
// blocks, a bounded number of rows (at most 2 * 15 per level), whatever the
// history's length; within one bucket only each token's first transfer
// there can follow one before lo, hence one entry per token per bucket.

#include <functional>
#include <map>

#include "storage/store_impl.hpp"

namespace erc20::storage {

/// Blocks in a bucket of `level`.
[[nodiscard]] constexpr BlockNum chain_bucket_size(unsigned level) {
    return BlockNum{1} << (kChainFanoutBits * level);
}

/// Calls f(level, first block) for each bucket of the tiling of [lo, hi]
/// into aligned buckets, each as large as its alignment and `hi` allow.
/// REQUIRES: lo <= hi.
void for_each_chain_bucket(BlockNum lo, BlockNum hi,
                           const std::function<void(unsigned, BlockNum)>& f);

/// A batch's tokens per block, gathered while the batch is written, then
/// turned into chain_activity rows.
class ChainActivityWriter {
  public:
    /// A token moved in `block`, its transfer before having been in block
    /// `previous - 1` (previous 0: none). Once per token and block.
    void add(BlockNum block, uint64_t previous) { blocks_[block].entries.push_back(previous); }
    void add_transfers(BlockNum block, uint64_t n) {
        if (n > 0) blocks_[block].transfers += n;
    }
    /// Store::apply of blocks [first, last]: their level-0 rows, then each
    /// bucket whose last block is among them, from its 16 parts.
    void write(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb, BlockNum first,
               BlockNum last);
    /// Store::apply_backfill (tokens added below the cursor): their entries
    /// and transfers merged into the rows of their blocks and of the
    /// buckets already written (those ending at or before `cursor`).
    void merge(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb, BlockNum cursor);

  private:
    std::map<BlockNum, ChainBucket> blocks_;
};

/// Store::rollback to the block before `first`: deletes the rows of every
/// bucket holding a block at or after it (they are written again once the
/// cursor passes their end).
void undo_chain_activity(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                         BlockNum first);

/// What View::chain_counts sums over the buckets tiling a span.
struct ChainBucketCount {
    uint64_t transfers{0};
    uint64_t at_most_lo{0};    // entries <= lo: tokens whose transfer before is before lo
    uint64_t at_most_zero{0};  // entries == 0: tokens first seen in the bucket
};
/// Adds one bucket's counts to `sum`: its head, and at most one chunk.
void count_chain_bucket(const Store::Impl& d, const rocksdb::ReadOptions& ro, unsigned level,
                        BlockNum first, uint64_t lo, ChainBucketCount& sum);

/// One bucket, head and chunks, through `ro`; nullopt when there is none.
std::optional<ChainBucket> read_chain_bucket(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                                             unsigned level, BlockNum first);

}  // namespace erc20::storage
