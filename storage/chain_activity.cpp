#include "storage/chain_activity.hpp"

#include <algorithm>

namespace erc20::storage {

namespace {

// `add`'s entries merged into `into`'s (both ascending), transfers summed.
void merge_into(ChainBucket& into, const ChainBucket& add) {
    into.transfers += add.transfers;
    const size_t mid = into.entries.size();
    into.entries.insert(into.entries.end(), add.entries.begin(), add.entries.end());
    std::inplace_merge(into.entries.begin(), into.entries.begin() + static_cast<ptrdiff_t>(mid),
                       into.entries.end());
}

void put_bucket(Writes& wb, unsigned level, BlockNum first, const ChainBucket& b) {
    std::string value;
    encode_chain_bucket(b, value);
    wb.Put(kCfChainActivity, slice(chain_activity_key(level, first)), slice(value));
}

// The entries of a bucket's part that start no earlier than the bucket's
// first block (entry <= first: the transfer before was before it).
void add_part(ChainBucket& bucket, BlockNum first, const ChainBucket& part) {
    bucket.transfers += part.transfers;
    for (uint64_t e : part.entries) {
        if (e > first) break;  // ascending
        bucket.entries.push_back(e);
    }
}

}  // namespace

void for_each_chain_bucket(BlockNum lo, BlockNum hi,
                           const std::function<void(unsigned, BlockNum)>& f) {
    for (BlockNum at = lo;;) {
        unsigned level = 0;
        while (level + 1 < kChainLevels && at % chain_bucket_size(level + 1) == 0 &&
               hi - at >= chain_bucket_size(level + 1) - 1)
            ++level;
        f(level, at);
        const BlockNum last = at + (chain_bucket_size(level) - 1);
        if (last >= hi) return;
        at = last + 1;
    }
}

std::optional<ChainBucket> read_chain_bucket(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                                             unsigned level, BlockNum first) {
    return d.get_row(ro, kCfChainActivity, chain_activity_key(level, first), decode_chain_bucket);
}

void ChainActivityWriter::write(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                                BlockNum first, BlockNum last) {
    std::map<std::pair<unsigned, BlockNum>, ChainBucket> written;
    for (auto& [block, bucket] : blocks_) {
        std::sort(bucket.entries.begin(), bucket.entries.end());
        put_bucket(wb, 0, block, bucket);
        written.emplace(std::pair(0u, block), std::move(bucket));
    }
    blocks_.clear();
    for (unsigned level = 1; level < kChainLevels; ++level) {
        const BlockNum size = chain_bucket_size(level);
        const BlockNum part_size = chain_bucket_size(level - 1);
        if (last < size - 1) break;  // no bucket of this level or above has ended
        for (BlockNum start = first / size * size; start <= last - (size - 1); start += size) {
            if (start + (size - 1) < first) continue;  // ended before the batch
            ChainBucket bucket;
            for (BlockNum part = start; part < start + size; part += part_size) {
                if (auto it = written.find({level - 1, part}); it != written.end()) {
                    add_part(bucket, start, it->second);
                } else if (auto stored = read_chain_bucket(d, ro, level - 1, part)) {
                    add_part(bucket, start, *stored);
                }
            }
            if (bucket.transfers == 0) continue;
            std::sort(bucket.entries.begin(), bucket.entries.end());
            put_bucket(wb, level, start, bucket);
            written.emplace(std::pair(level, start), std::move(bucket));
        }
    }
}

void ChainActivityWriter::merge(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                                BlockNum cursor) {
    for (auto& [block, bucket] : blocks_) std::sort(bucket.entries.begin(), bucket.entries.end());
    for (unsigned level = 0; level < kChainLevels; ++level) {
        const BlockNum size = chain_bucket_size(level);
        std::map<BlockNum, ChainBucket> added;  // by bucket start
        for (const auto& [block, bucket] : blocks_) {
            const BlockNum start = block / size * size;
            if (start + (size - 1) > cursor) break;  // not written yet: apply will
            add_part(added[start], start, bucket);
        }
        for (auto& [start, add] : added) {
            std::sort(add.entries.begin(), add.entries.end());
            ChainBucket row = read_chain_bucket(d, ro, level, start).value_or(ChainBucket{});
            merge_into(row, add);
            put_bucket(wb, level, start, row);
        }
    }
    blocks_.clear();
}

void undo_chain_activity(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                         BlockNum first) {
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfChainActivity)));
    for (unsigned level = 0; level < kChainLevels; ++level) {
        const BlockNum size = chain_bucket_size(level);
        const std::string from = chain_activity_key(level, first / size * size);
        for (it->Seek(slice(from)); it->Valid(); it->Next()) {
            const std::string_view key = view_of(it->key());
            if (key.size() != kChainActivityKeySize) corrupt_row(kCfChainActivity, key, d.path);
            if (static_cast<uint8_t>(key[0]) != level) break;
            wb.Delete(kCfChainActivity, it->key());
        }
        check(it->status(), "scan chain_activity");
    }
}

}  // namespace erc20::storage
