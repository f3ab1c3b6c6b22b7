// View's reads by block for the series and the as-of-block answers: a
// token's stats at the end of a block (token_blocks), block times and the
// chain's counts (chain_activity).

#include "storage/chain_activity.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

// The row of `it` at or before `key` whose key starts with `prefix`, if any.
bool seek_at_or_before(rocksdb::Iterator& it, const std::string& key, std::string_view prefix) {
    it.SeekForPrev(slice(key));
    check(it.status(), "seek");
    return it.Valid() && starts_with(it.key(), prefix);
}

// The counts of blocks [lo, hi] from the rows of their tiling.
ChainBucketCount chain_count(const Store::Impl& d, const rocksdb::ReadOptions& ro, BlockNum lo,
                             BlockNum hi) {
    ChainBucketCount sum;
    for_each_chain_bucket(lo, hi, [&](unsigned level, BlockNum first) {
        count_chain_bucket(d, ro, level, first, lo, sum);
    });
    return sum;
}

// The time of block n: its block_times row or the last one before it.
std::optional<uint64_t> time_at(rocksdb::Iterator& it, BlockNum n, const std::string& path) {
    if (!seek_at_or_before(it, block_key(n), {})) return std::nullopt;
    return decoded(decode_block_time(view_of(it.value())), kCfBlockTimes, view_of(it.key()), path);
}

// The block of the first row of a family whose keys (of key_size bytes)
// start with the block number; nullopt when it is empty.
std::optional<BlockNum> first_block_in(const Store::Impl& d, const rocksdb::ReadOptions& ro, Cf c,
                                       size_t key_size) {
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(c)));
    it->SeekToFirst();
    check(it->status(), "read the first row");
    if (!it->Valid()) return std::nullopt;
    if (it->key().size() != key_size) corrupt_row(c, view_of(it->key()), d.path);
    return load_be64(view_of(it->key()), 0);
}

}  // namespace

std::vector<std::optional<TokenStats>> View::token_stats_at(
    const Address& token, const std::vector<BlockNum>& blocks) const {
    std::vector<std::optional<TokenStats>> out;
    out.reserve(blocks.size());
    const auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenBlocks)));
    const std::string prefix = token_key(token);
    for (BlockNum n : blocks) {
        if (!seek_at_or_before(*it, token_block_key(token, n), prefix)) {
            out.emplace_back();
            continue;
        }
        const std::string_view key = view_of(it->key());
        if (key.size() != kTokenBlockKeySize) corrupt_row(kCfTokenBlocks, key, store_->path);
        out.emplace_back(
            decoded(decode_stats(view_of(it->value())), kCfTokenBlocks, key, store_->path));
    }
    return out;
}

std::vector<std::optional<uint64_t>> View::times_at(const std::vector<BlockNum>& blocks) const {
    std::vector<std::optional<uint64_t>> out;
    out.reserve(blocks.size());
    const auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfBlockTimes)));
    for (BlockNum n : blocks) out.push_back(time_at(*it, n, store_->path));
    return out;
}

std::optional<BlockNum> View::first_timed_block() const {
    return first_block_in(*store_, snapshot_options(snapshot_), kCfBlockTimes, kBlockKeySize);
}

std::vector<View::ChainCounts> View::chain_counts(
    const std::vector<std::pair<BlockNum, BlockNum>>& spans) const {
    std::vector<ChainCounts> out;
    if (spans.empty()) return out;
    out.reserve(spans.size());
    const auto ro = snapshot_options(snapshot_);
    uint64_t tokens = 0;
    BlockNum next = 0;  // the first block not counted into `tokens`
    for (const auto& [lo, hi] : spans) {
        if (lo > next) tokens += chain_count(*store_, ro, next, lo - 1).at_most_zero;
        next = hi + 1;
        const ChainBucketCount c = chain_count(*store_, ro, lo, hi);
        tokens += c.at_most_zero;
        out.push_back(ChainCounts{tokens, c.at_most_lo, c.transfers});
    }
    return out;
}

std::optional<BlockNum> View::first_transfer_block() const {
    return first_block_in(*store_, snapshot_options(snapshot_), kCfTransfers, kTransferKeySize);
}

BlockNum View::last_block_before(BlockNum lo, BlockNum hi, uint64_t t) const {
    const auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfBlockTimes)));
    auto below = [&](BlockNum n) { return time_at(*it, n, store_->path).value_or(0) < t; };
    // Invariant: lo is below t; the answer is in [lo, hi].
    while (lo < hi) {
        const BlockNum mid = lo + (hi - lo + 1) / 2;
        if (below(mid)) lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

}  // namespace erc20::storage
