// The store's reads of single rows, shared by the writers and View. Every row
// that does not decode goes to corrupt_row (storage/rocks.hpp).

#include <limits>

#include "storage/store_impl.hpp"

namespace erc20::storage {

std::optional<std::string> Store::Impl::get(const rocksdb::ReadOptions& ro, Cf c,
                                            std::string_view key) const {
    std::string value;
    auto s = db->Get(ro, cf(c), slice(key), &value);
    if (s.IsNotFound()) return std::nullopt;
    check(s, "read " + std::string(kCfNames[c]));
    return value;
}

std::optional<uint64_t> Store::Impl::chain_id(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyChain, decode_u64);
}

std::optional<Cursor> Store::Impl::cursor(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyCursor, decode_cursor);
}

std::optional<TokenBackfill> Store::Impl::backfill(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyTokenBackfill, decode_backfill);
}

std::optional<IndexScope> Store::Impl::scope(const rocksdb::ReadOptions& ro) const {
    auto tokens = get_row(ro, kCfMeta, kKeyTokenFilter, decode_addresses);
    auto start = get_row(ro, kCfMeta, kKeyStartBlock, decode_u64);
    if (!tokens && !start) return std::nullopt;
    if (!tokens) corrupt_row(kCfMeta, kKeyTokenFilter, path, "missing beside start_block");
    if (!start) corrupt_row(kCfMeta, kKeyStartBlock, path, "missing beside token_filter");
    return IndexScope{std::move(*tokens), *start};
}

Totals Store::Impl::totals(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyTotals, decode_totals).value_or(Totals{});
}

uint64_t Store::Impl::meta_version(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyMetaVersion, decode_u64).value_or(0);
}

std::string Store::Impl::next_meta_version(const rocksdb::ReadOptions& ro) const {
    return encode_u64(meta_version(ro) + 1);
}

uint64_t Store::Impl::history_version(const rocksdb::ReadOptions& ro) const {
    return get_row(ro, kCfMeta, kKeyHistoryVersion, decode_u64).value_or(0);
}

std::string Store::Impl::next_history_version(const rocksdb::ReadOptions& ro) const {
    return encode_u64(history_version(ro) + 1);
}

std::optional<BlockHeader> Store::Impl::header(const rocksdb::ReadOptions& ro, BlockNum n) const {
    return get_row(ro, kCfHeaders, block_key(n),
                   [n](std::string_view v) { return decode_header(n, v); });
}

std::optional<uint64_t> Store::Impl::block_time(const rocksdb::ReadOptions& ro, BlockNum n) const {
    return get_row(ro, kCfBlockTimes, block_key(n), decode_block_time);
}

// A block below the stored headers (pruned, deeper than any reorg the
// indexer undoes) counts as on the chain.
bool Store::Impl::on_chain(const rocksdb::ReadOptions& ro, const TokenMeta& m) const {
    if (!m.supply_hash) return true;  // unknown: an older version's row
    auto head = cursor(ro);
    if (!head) return false;
    if (m.supply_block > head->block_num) return m.supply_fallback;
    if (m.supply_block == head->block_num && head->hash != Hash{})
        return head->hash == *m.supply_hash;
    auto h = header(ro, m.supply_block);
    return !h || h->hash == *m.supply_hash;
}

std::optional<TokenMeta> Store::Impl::token_meta(const rocksdb::ReadOptions& ro,
                                                 const Address& token) const {
    auto m = get_row(ro, kCfTokenMeta, token_key(token), decode_token_meta);
    if (m && !on_chain(ro, *m)) {
        m->total_supply.reset();
        m->supply_hash.reset();
        m->supply_block = 0;
        m->supply_fallback = false;
    }
    return m;
}

std::optional<TokenStats> Store::Impl::stats(const rocksdb::ReadOptions& ro,
                                             const Address& token) const {
    return get_row(ro, kCfTokenStats, token_key(token), decode_stats);
}

BalanceRow Store::Impl::balance_row(const rocksdb::ReadOptions& ro, const Address& token,
                                    const Address& holder) const {
    return get_row(ro, kCfBalances, pair_key(token, holder), decode_balance_row)
        .value_or(BalanceRow{});
}

Balance Store::Impl::balance(const rocksdb::ReadOptions& ro, const Address& token,
                             const Address& holder) const {
    return balance_row(ro, token, holder).balance;
}

BalanceRow Store::Impl::balance_row_at(const rocksdb::ReadOptions& ro, const Address& token,
                                       const Address& holder, BlockNum n) const {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(kCfBalanceHistory)));
    return balance_row_at(*it, token, holder, n);
}

BalanceRow Store::Impl::balance_row_at(rocksdb::Iterator& it, const Address& token,
                                       const Address& holder, BlockNum n) const {
    const std::string prefix = pair_key(token, holder);
    it.SeekForPrev(slice(history_key(token, holder, n)));
    check(it.status(), "read balance history");
    if (!it.Valid() || !starts_with(it.key(), prefix)) return BalanceRow{};
    const std::string_view key = view_of(it.key());
    if (key.size() != kHistoryKeySize) corrupt_row(kCfBalanceHistory, key, path);
    return BalanceRow{decoded(decode_balance(view_of(it.value())), kCfBalanceHistory, key, path),
                      history_key_block(key)};
}

Balance Store::Impl::balance_at(const rocksdb::ReadOptions& ro, const Address& token,
                                const Address& holder, BlockNum n) const {
    return balance_row_at(ro, token, holder, n).balance;
}

Transfer Store::Impl::indexed_transfer(const rocksdb::ReadOptions& ro, Cf index,
                                       std::string_view index_key) const {
    const std::string_view key = index_key.substr(kAddressSize);
    auto v = get(ro, kCfTransfers, key);
    if (!v) corrupt_row(index, index_key, path, "its transfer is missing");
    return decoded(decode_transfer(key, *v), kCfTransfers, key, path);
}

}  // namespace erc20::storage
