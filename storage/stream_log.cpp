// The change stream's rows in the writes that change blocks (layouts in
// stream_rows.hpp): Store::apply records the header of each block it
// brings transfers to, an add-tokens step logs each block it adds
// transfers to, a rollback logs each block it undoes; and the stream's
// meta rows when a database opens.

#include <algorithm>
#include <random>

#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

// The element of a vector sorted by block for block n.
template <class T, class BlockOf>
const T* find_block(const std::vector<T>& rows, BlockNum n, BlockOf block_of) {
    auto it = std::lower_bound(rows.begin(), rows.end(), n,
                               [&](const T& r, BlockNum b) { return block_of(r) < b; });
    return it != rows.end() && block_of(*it) == n ? &*it : nullptr;
}

// The header the batch brought for block n, with whether its hashes are known.
std::pair<BlockHeader, bool> header_in(const BlockBatch& batch, BlockNum n) {
    auto of_header = [](const BlockHeader& h) { return h.block_num; };
    if (const auto* h = find_block(batch.stream_headers, n, of_header)) return {*h, true};
    if (const auto* h = find_block(batch.headers, n, of_header)) return {*h, true};
    BlockHeader h;
    h.block_num = n;
    auto of_time = [](const std::pair<BlockNum, uint64_t>& t) { return t.first; };
    if (const auto* t = find_block(batch.block_times, n, of_time)) h.timestamp = t->second;
    return {h, false};
}

}  // namespace

uint64_t Store::Impl::stream_seq(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyStreamSeq, decode_u64).value_or(0);
}

void Store::Impl::stream_applied(Writes& wb, const rocksdb::ReadOptions& ro,
                                 const BlockBatch& batch, bool add_tokens) const {
    const uint64_t seq = stream_seq(ro) + 1;
    uint32_t sub = 0;
    const auto& ts = batch.transfers;
    for (size_t i = 0; i < ts.size();) {
        const BlockNum b = ts[i].block_num;
        while (i < ts.size() && ts[i].block_num == b) ++i;
        const std::string key = block_key(b);
        std::optional<StreamBlock> stored;
        if (add_tokens)
            stored = get_row(ro, kCfStreamBlocks, key,
                             [b](std::string_view v) { return decode_stream_block(b, v); });
        const auto [header, known] = header_in(batch, b);
        if (!stored) wb.Put(kCfStreamBlocks, slice(key), slice(encode_stream_block(header, known)));
        if (!add_tokens) continue;
        const Hash hash = stored ? stored->header.hash : header.hash;
        wb.Put(kCfStreamLog, slice(stream_log_key(seq, sub++)),
               slice(encode_stream_change(StreamChange{StreamChange::Kind::kChanged, b, hash})));
    }
    if (sub > 0) wb.Put(kCfMeta, slice(kKeyStreamSeq), slice(encode_u64(seq)));
}

void Store::Impl::stream_undone(Writes& wb, const rocksdb::ReadOptions& ro, BlockNum first) const {
    const uint64_t seq = stream_seq(ro) + 1;
    uint32_t sub = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(kCfStreamBlocks)));
    // Newest first: a consumer that stops halfway holds the blocks below.
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        const std::string_view key = view_of(it->key());
        if (key.size() != kBlockKeySize) corrupt_row(kCfStreamBlocks, key, path);
        const BlockNum b = load_be64(key);
        if (b < first) break;
        const StreamBlock row =
            decoded(decode_stream_block(b, view_of(it->value())), kCfStreamBlocks, key, path);
        wb.Put(kCfStreamLog, slice(stream_log_key(seq, sub++)),
               slice(encode_stream_change(
                   StreamChange{StreamChange::Kind::kUndone, b, row.header.hash})));
        wb.Delete(kCfStreamBlocks, it->key());
    }
    check(it->status(), "scan stream blocks");
    // Blocks without transfers were undone too: the new branch may bring some.
    wb.Put(kCfStreamLog, slice(stream_log_key(seq, sub)),
           slice(encode_stream_change(StreamChange{StreamChange::Kind::kRolledBack, first, {}})));
    wb.Put(kCfMeta, slice(kKeyStreamSeq), slice(encode_u64(seq)));
}

void Store::Impl::init_stream() {
    const rocksdb::ReadOptions ro;
    if (get(ro, kCfMeta, kKeyStreamId)) return;
    uint64_t id = 0;
    std::random_device rd;
    while (id == 0) id = (uint64_t{rd()} << 32) ^ rd();
    // A database from before the stream has no stream_blocks below its cursor.
    const auto cur = cursor(ro);
    const BlockNum floor = cur ? cur->block_num + 1 : 0;
    rocksdb::WriteBatch batch;
    check(batch.Put(cf(kCfMeta), slice(kKeyStreamId), slice(encode_u64(id))), "batch put");
    check(batch.Put(cf(kCfMeta), slice(kKeyStreamFloor), slice(encode_u64(floor))), "batch put");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(db->Write(wo, &batch), "start the change stream in " + path);
}

}  // namespace erc20::storage
