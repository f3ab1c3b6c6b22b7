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
    const EncodedChainBucket rows = encode_chain_bucket(b);
    wb.Put(kCfChainActivity, slice(chain_activity_key(level, first)), slice(rows.head));
    for (uint32_t c = 0; c < rows.chunks.size(); ++c)
        wb.Put(kCfChainActivity, slice(chain_chunk_key(level, first, c)), slice(rows.chunks[c]));
}

// A row that must decode, or corrupt_row.
template <class T>
T must(std::optional<T> row, const std::string& key, const std::string& path) {
    if (!row) corrupt_row(kCfChainActivity, key, path);
    return std::move(*row);
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
    const std::string key = chain_activity_key(level, first);
    const auto head_row = d.get(ro, kCfChainActivity, key);
    if (!head_row) return std::nullopt;
    const ChainHead head = must(decode_chain_head(*head_row), key, d.path);
    ChainBucket b{head.transfers, {}};
    if (!head.chunked()) {
        b.entries = must(decode_chain_entries(head.tail), key, d.path);
        return b;
    }
    b.entries.reserve(head.entries);
    for (uint32_t c = 0; c < head.chunks(); ++c) {
        const std::string chunk_key = chain_chunk_key(level, first, c);
        const auto chunk = must(d.get(ro, kCfChainActivity, chunk_key), chunk_key, d.path);
        const auto entries = must(decode_chain_entries(chunk), chunk_key, d.path);
        b.entries.insert(b.entries.end(), entries.begin(), entries.end());
    }
    if (b.entries.size() != head.entries) corrupt_row(kCfChainActivity, key, d.path);
    return b;
}

void count_chain_bucket(const Store::Impl& d, const rocksdb::ReadOptions& ro, unsigned level,
                        BlockNum first, uint64_t lo, ChainBucketCount& sum) {
    const std::string key = chain_activity_key(level, first);
    rocksdb::PinnableSlice value;
    const auto s = d.db->Get(ro, d.cf(kCfChainActivity), slice(key), &value);
    if (s.IsNotFound()) return;
    check(s, "read chain_activity");
    const ChainHead head = must(decode_chain_head(view_of(value)), key, d.path);
    sum.transfers += head.transfers;
    sum.at_most_zero += head.zeros;
    const uint64_t n = chain_entries_at_most(head.tail, lo);
    if (!head.chunked() || n == 0) {
        sum.at_most_lo += n;  // the entries, or no chunk starts at or below lo
        return;
    }
    // Chunks before chunk n - 1 are all <= lo; count within it.
    const std::string chunk_key = chain_chunk_key(level, first, static_cast<uint32_t>(n - 1));
    const auto chunk = must(d.get(ro, kCfChainActivity, chunk_key), chunk_key, d.path);
    if (chunk.size() % 8 != 0) corrupt_row(kCfChainActivity, chunk_key, d.path);
    sum.at_most_lo += (n - 1) * kChainChunkEntries + chain_entries_at_most(chunk, lo);
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
            if (key.size() != kChainActivityKeySize && key.size() != kChainChunkKeySize)
                corrupt_row(kCfChainActivity, key, d.path);
            if (static_cast<uint8_t>(key[0]) != level) break;
            wb.Delete(kCfChainActivity, it->key());
        }
        check(it->status(), "scan chain_activity");
    }
}

}  // namespace erc20::storage
