// View: the read side, every answer from one RocksDB snapshot. Rows that do
// not decode go to corrupt_row (storage/rocks.hpp).

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "storage/ranked_history.hpp"
#include "storage/store_impl.hpp"

namespace erc20::storage {

namespace {

// The key of a row under `prefix`, of `size` bytes, or corrupt_row.
std::string_view sized_key(const rocksdb::Iterator& it, size_t size, Cf c,
                           const std::string& path) {
    if (it.key().size() != size) corrupt_row(c, view_of(it.key()), path);
    return view_of(it.key());
}

// Seeks `it` to `start`, past it when `exclusive` and it is there.
void seek_after(rocksdb::Iterator& it, const std::string& start, bool exclusive) {
    it.Seek(slice(start));
    if (exclusive && it.Valid() && view_of(it.key()) == start) it.Next();
}

// Walks an index keyed `prefix (20) | block_num (8) | log_index (4)` over
// [from_block, to_block] after `after`, resolving each row to its transfer;
// `keep(direction, transfer)` filters; at most `limit` kept.
template <class Keep>
std::vector<View::AccountTransfer> scan_transfer_index(
    const Store::Impl& d, const rocksdb::ReadOptions& ro, Cf index, const Address& prefix_address,
    BlockNum from_block, BlockNum to_block, std::optional<std::pair<BlockNum, uint32_t>> after,
    size_t limit, Keep&& keep) {
    std::vector<View::AccountTransfer> out;
    const std::string prefix = token_key(prefix_address);
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(index)));
    const std::string start =
        after ? prefixed_transfer_key(prefix_address, after->first, after->second)
              : prefixed_transfer_key(prefix_address, from_block, 0);
    seek_after(*it, start, after.has_value());
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        const std::string_view key = sized_key(*it, kIndexKeySize, index, d.path);
        const BlockNum b = index_key_position(key).block_num;
        if (b < from_block) continue;
        if (b > to_block) break;
        const Direction dir =
            index == kCfAccountTransfers
                ? decoded(decode_direction(view_of(it->value())), index, key, d.path)
                : Direction::kNone;
        Transfer t = d.indexed_transfer(ro, index, key);
        if (keep(dir, t)) out.push_back(View::AccountTransfer{std::move(t), dir});
    }
    check(it->status(), "scan transfer index");
    return out;
}

}  // namespace

View::View(const Store::Impl* store, const rocksdb::Snapshot* snapshot)
    : store_(store), snapshot_(snapshot) {}

View::View(View&& other) noexcept : store_(other.store_), snapshot_(other.snapshot_) {
    other.snapshot_ = nullptr;
}

View::~View() {
    if (snapshot_) store_->db->ReleaseSnapshot(snapshot_);
}

std::optional<Cursor> View::cursor() const { return store_->cursor(snapshot_options(snapshot_)); }
Totals View::totals() const { return store_->totals(snapshot_options(snapshot_)); }
std::optional<uint64_t> View::chain_id() const {
    return store_->chain_id(snapshot_options(snapshot_));
}

std::optional<TokenStats> View::token_stats(const Address& token) const {
    return store_->stats(snapshot_options(snapshot_), token);
}

std::optional<TokenMeta> View::token_meta(const Address& token) const {
    return store_->token_meta(snapshot_options(snapshot_), token);
}

uint64_t View::meta_version() const { return store_->meta_version(snapshot_options(snapshot_)); }

uint64_t View::history_version() const {
    return store_->history_version(snapshot_options(snapshot_));
}

void View::for_each_token(const std::function<void(const Address&, const TokenStats&,
                                                   const std::optional<TokenMeta>&)>& f) const {
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenStats)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        const auto key = sized_key(*it, kTokenKeySize, kCfTokenStats, store_->path);
        const auto token = get_fixed<Address>(key, 0);
        const auto stats =
            decoded(decode_stats(view_of(it->value())), kCfTokenStats, key, store_->path);
        f(token, stats, store_->token_meta(ro, token));
    }
    check(it->status(), "scan token stats");
}

Balance View::balance(const Address& token, const Address& holder) const {
    return store_->balance(snapshot_options(snapshot_), token, holder);
}

Balance View::balance_at(const Address& token, const Address& holder, BlockNum n) const {
    return store_->balance_at(snapshot_options(snapshot_), token, holder, n);
}

std::optional<uint64_t> View::block_time(BlockNum n) const {
    return store_->block_time(snapshot_options(snapshot_), n);
}

std::vector<HolderItem> View::holders(const Address& token, const std::optional<Position>& after,
                                      size_t limit, std::optional<Position>& next) const {
    std::vector<HolderItem> out;
    next.reset();
    auto ro = snapshot_options(snapshot_);
    const std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfHolders)));
    seek_after(*it, after ? prefix + after->bytes(Position::Kind::kHolder) : prefix,
               after.has_value());
    std::string last;  // the last key's position: the key after its token
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        const std::string_view key = view_of(it->key());
        out.push_back(decoded(decode_holder_rank_key(key), kCfHolders, key, store_->path));
        last.assign(key.substr(kTokenKeySize));
    }
    if (!out.empty()) next = Position(Position::Kind::kHolder, std::move(last));
    check(it->status(), "scan holders");
    // Exhausted, maybe exactly at a page boundary: say so, so no empty page follows.
    if (out.size() < limit || !it->Valid() || !starts_with(it->key(), prefix)) next.reset();
    return out;
}

std::vector<Transfer> View::token_transfers(const Address& token, BlockNum from_block,
                                            BlockNum to_block,
                                            std::optional<std::pair<BlockNum, uint32_t>> after,
                                            size_t limit) const {
    auto rows = scan_transfer_index(*store_, snapshot_options(snapshot_), kCfTokenTransfers, token,
                                    from_block, to_block, after, limit,
                                    [](Direction, const Transfer&) { return true; });
    std::vector<Transfer> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(std::move(r.transfer));
    return out;
}

namespace {

// The net change of every account over the token's transfers of
// [from_block, to_block], each transfer also given to `each`; false when the
// range holds more than max_transfers (the read stops there).
template <class Each>
bool net_changes(const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token,
                 BlockNum from_block, BlockNum to_block, size_t max_transfers,
                 std::unordered_map<Address, Balance, AddressHasher>& net, Each&& each) {
    constexpr size_t kChunk = 10000;
    std::optional<std::pair<BlockNum, uint32_t>> after;
    for (size_t read = 0;;) {
        auto rows =
            scan_transfer_index(d, ro, kCfTokenTransfers, token, from_block, to_block, after,
                                kChunk, [](Direction, const Transfer&) { return true; });
        read += rows.size();
        if (read > max_transfers) return false;
        for (const auto& r : rows) {
            const Transfer& t = r.transfer;
            each(t);
            const Balance v(t.value);
            if (t.from != Address{}) net[t.from] -= v;
            if (t.to != Address{}) net[t.to] += v;
        }
        if (rows.size() < kChunk) return true;
        after = {rows.back().transfer.block_num, rows.back().transfer.log_index};
    }
}

// The accounts whose net change is not zero, with their balances at the end
// of to_block and before the range.
std::vector<View::AccountFlow> flows_of(
    const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token, BlockNum to_block,
    const std::unordered_map<Address, Balance, AddressHasher>& net) {
    std::vector<View::AccountFlow> out;
    for (const auto& [account, change] : net) {
        if (change != 0) out.push_back(View::AccountFlow{account, change, 0});
    }
    // One iterator in address order: the rows of neighbouring accounts share
    // blocks and the reads go forward through the files.
    std::sort(out.begin(), out.end(), [](const View::AccountFlow& a, const View::AccountFlow& b) {
        return a.account < b.account;
    });
    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfBalanceHistory)));
    for (auto& f : out) {
        f.after = d.balance_row_at(*it, token, f.account, to_block).balance;
        f.before = f.after - f.before;  // before held the net change
    }
    return out;
}

}  // namespace

std::optional<std::vector<View::AccountFlow>> View::flows(const Address& token, BlockNum from_block,
                                                          BlockNum to_block,
                                                          size_t max_transfers) const {
    const auto ro = snapshot_options(snapshot_);
    std::unordered_map<Address, Balance, AddressHasher> net;
    if (!net_changes(*store_, ro, token, from_block, to_block, max_transfers, net,
                     [](const Transfer&) {}))
        return std::nullopt;
    return flows_of(*store_, ro, token, to_block, net);
}

std::optional<View::Activity> View::activity(const Address& token, BlockNum from_block,
                                             BlockNum to_block, size_t max_transfers) const {
    const auto ro = snapshot_options(snapshot_);
    std::unordered_map<Address, Balance, AddressHasher> net;
    std::unordered_set<Address, AddressHasher> senders, receivers;
    if (!net_changes(*store_, ro, token, from_block, to_block, max_transfers, net,
                     [&](const Transfer& t) {
                         if (!t.from.is_zero()) senders.insert(t.from);
                         if (!t.to.is_zero()) receivers.insert(t.to);
                     }))
        return std::nullopt;
    Activity a{senders.size(), receivers.size(), 0, 0};
    for (const auto& f : flows_of(*store_, ro, token, to_block, net)) {
        if (f.before <= 0 && f.after > 0) a.new_holders += 1;
        if (f.before > 0 && f.after <= 0) a.gone_holders += 1;
    }
    return a;
}

std::vector<View::AccountTransfer> View::account_transfers(
    const Address& account, std::optional<Address> token, Direction directions, BlockNum from_block,
    BlockNum to_block, std::optional<std::pair<BlockNum, uint32_t>> after, size_t limit) const {
    return scan_transfer_index(
        *store_, snapshot_options(snapshot_), kCfAccountTransfers, account, from_block, to_block,
        after, limit, [&](Direction dir, const Transfer& t) {
            return overlaps(dir, directions) && (!token || t.token == *token);
        });
}

std::vector<Address> View::tokens(std::optional<Address> after, size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenStats)));
    if (after) seek_after(*it, token_key(*after), true);
    else
        it->SeekToFirst();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        out.push_back(
            get_fixed<Address>(sized_key(*it, kTokenKeySize, kCfTokenStats, store_->path), 0));
    }
    check(it->status(), "scan tokens");
    return out;
}

std::vector<Address> View::tokens_ranked(Ranking ranking, const std::optional<Position>& after,
                                         size_t limit, std::optional<Position>& next) const {
    std::vector<Address> out;
    next.reset();
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenRank)));
    const std::string prefix(1, static_cast<char>(ranking));
    seek_after(*it, after ? prefix + after->bytes(Position::Kind::kRanking) : prefix,
               after.has_value());
    std::string last;  // the last key's position: the key after its ranking byte
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        const std::string_view key = sized_key(*it, kTokenRankKeySize, kCfTokenRank, store_->path);
        out.push_back(token_rank_key_token(key));
        last.assign(key.substr(1));
    }
    if (!out.empty()) next = Position(Position::Kind::kRanking, std::move(last));
    check(it->status(), "scan token ranking");
    if (out.size() < limit || !it->Valid() || !starts_with(it->key(), prefix)) next.reset();
    return out;
}

std::vector<Address> View::tokens_by_symbol(std::string_view prefix,
                                            const std::optional<Position>& after, size_t limit,
                                            std::optional<Position>& next) const {
    std::vector<Address> out;
    next.reset();
    const std::string folded = fold_symbol(prefix);
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenSymbols)));
    seek_after(*it, after ? after->bytes(Position::Kind::kSymbol) : folded, after.has_value());
    std::string last;
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), folded)) break;
        const std::string_view key = view_of(it->key());
        if (!valid_symbol_key(key)) corrupt_row(kCfTokenSymbols, key, store_->path);
        out.push_back(symbol_key_token(key));
        last.assign(key);
    }
    check(it->status(), "scan token symbols");
    if (out.size() == limit && it->Valid() && starts_with(it->key(), folded))
        next = Position(Position::Kind::kSymbol, std::move(last));
    return out;
}

std::vector<Address> View::account_tokens(const Address& account, std::optional<Address> after,
                                          size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(
        store_->db->NewIterator(ro, store_->cf(kCfAccountTokens)));
    const std::string prefix = token_key(account);
    seek_after(*it, after ? pair_key(account, *after) : prefix, after.has_value());
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        out.push_back(
            account_tokens_key_token(sized_key(*it, kPairKeySize, kCfAccountTokens, store_->path)));
    }
    check(it->status(), "scan account tokens");
    return out;
}

void View::for_each_holder(const Address& token, std::optional<BlockNum> n,
                           const std::function<bool(const HolderItem&)>& f) const {
    auto ro = snapshot_options(snapshot_);
    if (n) {
        scan_ranked(*store_, ro, token, *n, {}, [&](const RankedEntry& e) { return f(e.item); });
        return;
    }
    const std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfHolders)));
    for (it->Seek(prefix); it->Valid() && starts_with(it->key(), prefix); it->Next()) {
        const std::string_view key = view_of(it->key());
        if (!f(decoded(decode_holder_rank_key(key), kCfHolders, key, store_->path))) return;
    }
    check(it->status(), "scan holders");
}

std::vector<View::BalanceChange> View::balance_changes(const Address& token, const Address& account,
                                                       BlockNum from_block, BlockNum to_block,
                                                       std::optional<BlockNum> after,
                                                       size_t limit) const {
    std::vector<BalanceChange> out;
    BlockNum start = from_block;
    if (after) {
        if (*after >= to_block) return out;
        start = std::max(start, *after + 1);
    }
    if (start > to_block) return out;
    auto ro = snapshot_options(snapshot_);
    Balance before = start > 0 ? store_->balance_at(ro, token, account, start - 1) : Balance(0);
    const std::string prefix = pair_key(token, account);
    std::unique_ptr<rocksdb::Iterator> it(
        store_->db->NewIterator(ro, store_->cf(kCfBalanceHistory)));
    for (it->Seek(slice(history_key(token, account, start)));
         it->Valid() && starts_with(it->key(), prefix) && out.size() < limit; it->Next()) {
        const auto key = sized_key(*it, kHistoryKeySize, kCfBalanceHistory, store_->path);
        const BlockNum block = history_key_block(key);
        if (block > to_block) break;
        Balance now =
            decoded(decode_balance(view_of(it->value())), kCfBalanceHistory, key, store_->path);
        if (now != before) out.push_back(BalanceChange{block, now});
        before = std::move(now);
    }
    check(it->status(), "scan balance history");
    return out;
}

std::vector<HolderItem> View::holders_at(const Address& token, BlockNum n) const {
    std::vector<HolderItem> out;
    for_each_holder(token, n, [&](const HolderItem& h) {
        out.push_back(h);
        return true;
    });
    return out;
}

std::vector<HolderItem> View::holders_at(const Address& token, BlockNum n,
                                         const std::optional<Position>& after, size_t limit,
                                         std::optional<Position>& next) const {
    std::vector<HolderItem> out;
    next.reset();
    std::string last;  // the last item's position: its key's holders part
    bool more = false;
    scan_ranked(
        *store_, snapshot_options(snapshot_), token, n,
        after ? std::string_view(after->bytes(Position::Kind::kHolder)) : std::string_view(),
        [&](const RankedEntry& e) {
            // One more live entry says the list goes on, so no empty page follows.
            if (out.size() == limit) return !(more = true);
            out.push_back(e.item);
            last.assign(e.rank);
            return true;
        });
    if (more) next = Position(Position::Kind::kHolder, std::move(last));
    return out;
}

}  // namespace erc20::storage
