// The epochs of ranked_history: see storage/ranked_history.hpp.

#include "storage/ranked_history.hpp"

#include <limits>

namespace erc20::storage {

namespace {

constexpr BlockNum kLastBlock = std::numeric_limits<BlockNum>::max();

std::string encode_entries(uint64_t entries) {
    std::string v(kBlockNumSize, '\0');
    store_be64(v.data(), entries);
    return v;
}

std::string end_value(BlockNum to) {
    std::string v(kBlockNumSize, '\0');
    store_be64(v.data(), to);
    return v;
}

// Copies the live entries of `from` into a new epoch starting at `start`.
uint64_t copy_live(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                   const Address& token, BlockNum from, BlockNum start) {
    const std::string prefix = epoch_key(token, from);
    std::string key = epoch_key(token, start);
    uint64_t copied = 0;
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfRankedHistory)));
    for (it->Seek(slice(prefix)); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
        const std::string_view k = view_of(it->key());
        const BlockNum to =
            decoded(decode_ranked_end(view_of(it->value())), kCfRankedHistory, k, d.path);
        if (to != kOpenEnd) continue;
        key.resize(kEpochKeySize);
        key.append(k.substr(kEpochKeySize));
        wb.Put(kCfRankedHistory, slice(key), rocksdb::Slice());
        ++copied;
    }
    check(it->status(), "scan ranked history");
    return copied;
}

}  // namespace

std::optional<Epoch> epoch_at(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                              const Address& token, BlockNum n) {
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfHistoryEpochs)));
    it->SeekForPrev(slice(epoch_key(token, n)));
    check(it->status(), "read history epochs");
    if (!it->Valid() || !starts_with(it->key(), token_key(token))) return std::nullopt;
    const std::string_view key = view_of(it->key());
    if (key.size() != kEpochKeySize || it->value().size() != kBlockNumSize)
        corrupt_row(kCfHistoryEpochs, key, d.path);
    return Epoch{epoch_key_epoch(key), load_be64(view_of(it->value()))};
}

Epoch open_epoch(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                 const Address& token, BlockNum first, uint64_t holders) {
    auto e = epoch_at(d, ro, token, first);
    if (!e) return Epoch{first, 0};
    if (e->start == first || e->entries < epoch_capacity(d, holders)) return *e;
    return Epoch{first, copy_live(d, ro, wb, token, e->start, first)};
}

void write_epoch(Writes& wb, const Address& token, const Epoch& e) {
    wb.Put(kCfHistoryEpochs, slice(epoch_key(token, e.start)), slice(encode_entries(e.entries)));
}

void write_ranked_change(Writes& wb, const Address& token, Epoch& e, const Address& holder,
                         const BalanceRow& before, const Balance& after, BlockNum block) {
    if (before.balance > 0) {
        wb.Put(kCfRankedHistory,
               slice(ranked_key(token, e.start, before.balance, holder, before.block)),
               slice(end_value(block)));
    }
    if (after > 0) {
        wb.Put(kCfRankedHistory, slice(ranked_key(token, e.start, after, holder, block)),
               rocksdb::Slice());
        e.entries += 1;
    }
}

void drop_epochs(Writes& wb, const Address& token, BlockNum first) {
    const std::string from = epoch_key(token, first);
    const std::string to = epoch_key(token, kLastBlock);
    wb.DeleteRange(kCfHistoryEpochs, slice(from), slice(to));
    wb.DeleteRange(kCfRankedHistory, slice(from), slice(to));
}

void undo_ranked_row(Writes& wb, const Address& token, const Epoch& e, const Address& holder,
                     const Balance& undone, BlockNum block) {
    if (undone > 0)
        wb.Delete(kCfRankedHistory, slice(ranked_key(token, e.start, undone, holder, block)));
}

void reopen_ranked(Writes& wb, const Address& token, const Epoch& e, const Address& holder,
                   const BalanceRow& restored) {
    if (restored.balance > 0) {
        wb.Put(kCfRankedHistory,
               slice(ranked_key(token, e.start, restored.balance, holder, restored.block)),
               rocksdb::Slice());
    }
}

void scan_ranked(const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token,
                 BlockNum n, std::string_view after,
                 const std::function<bool(const RankedEntry&)>& f) {
    auto e = epoch_at(d, ro, token, n);
    if (!e) return;
    const std::string prefix = epoch_key(token, e->start);
    std::string start = prefix;
    if (!after.empty()) {  // past every entry of that holder at that balance
        start.append(after);
        start.append(kBlockNumSize, '\xff');
    }
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfRankedHistory)));
    for (it->Seek(slice(start)); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
        const std::string_view key = view_of(it->key());
        if (key.size() < kEpochKeySize + kBlockNumSize) corrupt_row(kCfRankedHistory, key, d.path);
        const BlockNum to =
            decoded(decode_ranked_end(view_of(it->value())), kCfRankedHistory, key, d.path);
        // Most entries of a busy epoch are not live at n: decode only those that are.
        if (!live_at(load_be64(key, key.size() - kBlockNumSize), to, n)) continue;
        if (!f(decoded(decode_ranked_key(key), kCfRankedHistory, key, d.path))) return;
    }
    check(it->status(), "scan ranked history");
}

}  // namespace erc20::storage
