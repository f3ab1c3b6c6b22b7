// The epochs of ranked_history: see storage/ranked_history.hpp.

#include "storage/ranked_history.hpp"

#include <limits>

namespace erc20::storage {

namespace {

constexpr BlockNum kLastBlock = std::numeric_limits<BlockNum>::max();

std::string end_value(BlockNum to) {
    std::string v(kBlockNumSize, '\0');
    store_be64(v.data(), to);
    return v;
}

// Against the fewest live entries the epoch had, not the live ones now: a
// class growing from 300 holders to 3M would otherwise keep one epoch, and a
// scan at a block with 300 holders would read 3M entries.
bool full(const Store::Impl& d, const EpochCounts& c) {
    return c.entries >= std::max(d.epoch_min_entries, kEpochRatio * c.min_live);
}

// Copies the live entries of (token, class)'s epoch `from` into a new one
// starting at `start`; returns how many.
uint64_t copy_live(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                   const Address& token, RankClass c, BlockNum from, BlockNum start) {
    const std::string prefix = epoch_key(token, c, from);
    std::string key = epoch_key(token, c, start);
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

// Calls f(class) for each class of the token with an epoch, in order, from `from` on.
template <class F>
void for_each_class(const Store::Impl& d, rocksdb::Iterator& epochs, const Address& token,
                    RankClass from, F&& f) {
    const std::string prefix = token_key(token);
    for (uint32_t c = from; c <= 0xffff;) {
        epochs.Seek(slice(class_key(token, static_cast<RankClass>(c))));
        check(epochs.status(), "read history epochs");
        if (!epochs.Valid() || !starts_with(epochs.key(), prefix)) return;
        if (epochs.key().size() != kEpochKeySize && epochs.key().size() != kClassKeySize)
            corrupt_row(kCfHistoryEpochs, view_of(epochs.key()), d.path);
        const RankClass found = epoch_key_class(view_of(epochs.key()));
        if (!f(found)) return;
        c = uint32_t{found} + 1;
    }
}

}  // namespace

namespace {

// epoch_at with the caller's iterator over history_epochs.
std::optional<Epoch> epoch_at(const Store::Impl& d, const std::unique_ptr<rocksdb::Iterator>& it,
                              const Address& token, RankClass c, BlockNum n) {
    it->SeekForPrev(slice(epoch_key(token, c, n)));
    check(it->status(), "read history epochs");
    if (!it->Valid() || !starts_with(it->key(), class_key(token, c))) return std::nullopt;
    const std::string_view key = view_of(it->key());
    if (key.size() == kClassKeySize) return std::nullopt;  // the current row: none that early
    if (key.size() != kEpochKeySize) corrupt_row(kCfHistoryEpochs, key, d.path);
    return Epoch{epoch_key_epoch(key),
                 decoded(decode_epoch_counts(view_of(it->value())), kCfHistoryEpochs, key, d.path)};
}

}  // namespace

std::optional<Epoch> epoch_at(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                              const Address& token, RankClass c, BlockNum n) {
    return epoch_at(
        d, std::unique_ptr<rocksdb::Iterator>(d.db->NewIterator(ro, d.cf(kCfHistoryEpochs))), token,
        c, n);
}

Epoch& RankedWriter::epoch(Writes& wb, const Address& token, RankClass c) {
    auto [it, added] = epochs_.try_emplace(Key{token, c});
    if (!added) return it->second;
    const std::string current = class_key(token, c);
    auto e = d_.get_row(ro_, kCfHistoryEpochs, current, decode_current_epoch);
    if (e && e->start > first_) corrupt_row(kCfHistoryEpochs, current, d_.path, "epoch ahead");
    if (!e) {
        it->second = Epoch{first_, {}};
    } else if (e->start < first_ && full(d_, e->counts)) {
        const uint64_t copied = copy_live(d_, ro_, wb, token, c, e->start, first_);
        it->second = Epoch{first_, {copied, copied, copied}};
    } else {
        it->second = *e;
    }
    return it->second;
}

void RankedWriter::change(Writes& wb, const Address& token, const Address& holder,
                          const BalanceRow& before, const Balance& after, BlockNum block) {
    std::string rank;             // each side's ranking part, built once for its class and its key
    EpochCounts* left = nullptr;  // the class the holder leaves (maybe for the same one)
    if (before.balance > 0) {
        append_rank(rank, before.balance, holder);
        Epoch& e = epoch(wb, token, rank_class_of(rank));
        wb.Put(kCfRankedHistory, slice(ranked_key(token, e.start, rank, before.block)),
               slice(end_value(block)));
        if (e.counts.live > 0) e.counts.live -= 1;
        left = &e.counts;
    }
    if (after > 0) {
        rank.clear();
        append_rank(rank, after, holder);
        Epoch& e = epoch(wb, token, rank_class_of(rank));
        wb.Put(kCfRankedHistory, slice(ranked_key(token, e.start, rank, block)), rocksdb::Slice());
        e.counts.entries += 1;
        e.counts.live += 1;
    }
    if (left) left->min_live = std::min(left->min_live, left->live);
}

void RankedWriter::finish(Writes& wb) const {
    for (const auto& [key, e] : epochs_) {
        wb.Put(kCfHistoryEpochs, slice(epoch_key(key.token, key.c, e.start)),
               slice(encode_epoch_counts(e.counts)));
        wb.Put(kCfHistoryEpochs, slice(class_key(key.token, key.c)),
               slice(encode_current_epoch(e)));
    }
}

const std::optional<Epoch>& RankedUndo::epoch(const Address& token, RankClass c) {
    auto [it, added] = epochs_.try_emplace({token, c});
    if (!added) return it->second;
    if (auto k = kept_.find(token); k != kept_.end() && k->second)
        it->second = epoch_at(d_, ro_, token, c, *k->second);
    return it->second;
}

void RankedUndo::undo_row(Writes& wb, const Address& token, const Address& holder,
                          const Balance& undone, BlockNum block) {
    if (undone <= 0) return;
    if (const auto& e = epoch(token, rank_class(undone)))
        wb.Delete(kCfRankedHistory, slice(ranked_key(token, e->start, undone, holder, block)));
}

void RankedUndo::reopen(Writes& wb, const Address& token, const Address& holder,
                        const BalanceRow& restored) {
    if (restored.balance <= 0) return;
    if (const auto& e = epoch(token, rank_class(restored.balance))) {
        wb.Put(kCfRankedHistory,
               slice(ranked_key(token, e->start, restored.balance, holder, restored.block)),
               rocksdb::Slice());
    }
}

void RankedUndo::drop_epochs(Writes& wb, const Address& token) const {
    const auto k = kept_.find(token);
    const std::optional<BlockNum> kept = k != kept_.end() ? k->second : std::nullopt;
    const BlockNum first = kept ? *kept + 1 : 0;
    std::unique_ptr<rocksdb::Iterator> it(d_.db->NewIterator(ro_, d_.cf(kCfHistoryEpochs)));
    for_each_class(d_, *it, token, 0, [&](RankClass c) {
        // A class whose current epoch holds the kept block has nothing to
        // drop; its counts stay as they were (they only time rolls).
        if (it->key().size() == kClassKeySize && kept) {
            const auto key = view_of(it->key());
            const auto e =
                decoded(decode_current_epoch(view_of(it->value())), kCfHistoryEpochs, key, d_.path);
            if (e.start < first) return true;
        }
        const std::string from = epoch_key(token, c, first);
        const std::string to = epoch_key(token, c, kLastBlock);
        wb.DeleteRange(kCfHistoryEpochs, slice(from), slice(to));
        wb.DeleteRange(kCfRankedHistory, slice(from), slice(to));
        // The one holding the kept block is current again, with the counts it had.
        const std::string current = class_key(token, c);
        if (auto e = kept ? epoch_at(d_, ro_, token, c, *kept) : std::nullopt)
            wb.Put(kCfHistoryEpochs, slice(current), slice(encode_current_epoch(*e)));
        else
            wb.Delete(kCfHistoryEpochs, slice(current));
        return true;
    });
}

namespace {

// Scans the entries of one epoch from `start`, keeping those live at n.
bool scan_epoch(const Store::Impl& d, rocksdb::Iterator& it, const std::string& prefix,
                const std::string& start, BlockNum n,
                const std::function<bool(const RankedEntry&)>& f) {
    for (it.Seek(slice(start)); it.Valid() && starts_with(it.key(), prefix); it.Next()) {
        const std::string_view key = view_of(it.key());
        if (key.size() < kEpochKeySize + kBlockNumSize) corrupt_row(kCfRankedHistory, key, d.path);
        const BlockNum to =
            decoded(decode_ranked_end(view_of(it.value())), kCfRankedHistory, key, d.path);
        // Most entries of a busy epoch are not live at n: decode only those that are.
        if (!live_at(load_be64(key, key.size() - kBlockNumSize), to, n)) continue;
        if (!f(decoded(decode_ranked_key(key), kCfRankedHistory, key, d.path))) return false;
    }
    check(it.status(), "scan ranked history");
    return true;
}

}  // namespace

void scan_ranked(const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token,
                 BlockNum n, std::string_view after,
                 const std::function<bool(const RankedEntry&)>& f) {
    std::unique_ptr<rocksdb::Iterator> epochs(d.db->NewIterator(ro, d.cf(kCfHistoryEpochs)));
    std::unique_ptr<rocksdb::Iterator> epoch(d.db->NewIterator(ro, d.cf(kCfHistoryEpochs)));
    std::unique_ptr<rocksdb::Iterator> entries(d.db->NewIterator(ro, d.cf(kCfRankedHistory)));
    const RankClass after_class = after.size() >= kRankClassSize
                                      ? static_cast<RankClass>(static_cast<uint8_t>(after[0]) << 8 |
                                                               static_cast<uint8_t>(after[1]))
                                      : 0;
    for_each_class(d, *epochs, token, after_class, [&](RankClass c) {
        auto e = epoch_at(d, epoch, token, c, n);
        if (!e) return true;  // the class has no holder as early as n
        const std::string prefix = epoch_key(token, c, e->start);
        std::string start = prefix;
        if (!after.empty() && c == after_class) {  // past every entry of that holder and balance
            start.append(after.substr(kRankClassSize));
            start.append(kBlockNumSize, '\xff');
        }
        return scan_epoch(d, *entries, prefix, start, n, f);
    });
}

}  // namespace erc20::storage
