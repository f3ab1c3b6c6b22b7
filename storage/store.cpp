#include "storage/store.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "storage/codec.hpp"
#include "storage/schema.hpp"

namespace erc20::storage {
namespace {

enum Cf : size_t {
    kCfDefault,
    kCfMeta,
    kCfHeaders,
    kCfBlockTimes,
    kCfTransfers,
    kCfTokenTransfers,
    kCfAccountTransfers,
    kCfBalances,
    kCfHolders,
    kCfBalanceHistory,
    kCfTokenStats,
    kCfTokenMeta,
    kCfAccountTokens,
    kCfTokenRank,
    kCfCount
};

const std::array<std::string_view, kCfCount> kCfNames{
    "default",      kMeta,       kHeaders,       kBlockTimes,
    kTransfers,     kTokenTransfers, kAccountTransfers, kBalances,
    kHolders,       kBalanceHistory, kTokenStats,    kTokenMeta,
    kAccountTokens, kTokenRank,
};

constexpr std::string_view kKeySchema{"schema_version"};
constexpr std::string_view kKeyChain{"chain_id"};
constexpr std::string_view kKeyCursor{"cursor"};
constexpr std::string_view kKeyTotals{"totals"};

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view view_of(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

void check(const rocksdb::Status& s, std::string_view what) {
    if (!s.ok()) throw StoreError(std::string(what) + ": " + s.ToString());
}

std::string encode_stats(const TokenStats& s) {
    std::string v;
    put_be64(v, s.holders);
    put_be64(v, s.transfers);
    put_be64(v, s.negative_balances);
    put_be64(v, s.first_block);
    put_be64(v, s.last_block);
    put_lp_balance(v, s.minted);
    put_lp_balance(v, s.burned);
    return v;
}

std::optional<TokenStats> decode_stats(std::string_view v) {
    if (v.size() < 42) return std::nullopt;
    TokenStats s;
    s.holders = get_be64(v, 0);
    s.transfers = get_be64(v, 8);
    s.negative_balances = get_be64(v, 16);
    s.first_block = get_be64(v, 24);
    s.last_block = get_be64(v, 32);
    size_t at = 40;
    auto minted = get_lp_balance(v, at);
    auto burned = get_lp_balance(v, at);
    if (!minted || !burned) return std::nullopt;
    s.minted = *minted;
    s.burned = *burned;
    return s;
}

void put_lp_string(std::string& out, const std::string& s) {
    size_t n = std::min<size_t>(s.size(), 0xffff);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(s.data(), n);
}

std::optional<std::string> get_lp_string(std::string_view v, size_t& at) {
    if (at + 2 > v.size()) return std::nullopt;
    size_t n = static_cast<size_t>(static_cast<uint8_t>(v[at]) << 8 | static_cast<uint8_t>(v[at + 1]));
    if (at + 2 + n > v.size()) return std::nullopt;
    std::string s(v.substr(at + 2, n));
    at += 2 + n;
    return s;
}

// flags (1) | refreshed_block (8) | decimals (1) | name (u16 len) | symbol (u16 len) |
// total_supply (u8 len, minimal big-endian). A flag bit per present field.
std::string encode_token_meta(const TokenMeta& m) {
    std::string v;
    uint8_t flags = (m.name ? 1 : 0) | (m.symbol ? 2 : 0) | (m.decimals ? 4 : 0) |
                    (m.total_supply ? 8 : 0);
    v.push_back(static_cast<char>(flags));
    put_be64(v, m.refreshed_block);
    v.push_back(static_cast<char>(m.decimals.value_or(0)));
    put_lp_string(v, m.name.value_or(""));
    put_lp_string(v, m.symbol.value_or(""));
    std::string supply = m.total_supply ? u256_to_min_be(*m.total_supply) : std::string();
    v.push_back(static_cast<char>(supply.size()));
    v += supply;
    return v;
}

std::optional<TokenMeta> decode_token_meta(std::string_view v) {
    if (v.size() < 10) return std::nullopt;
    TokenMeta m;
    auto flags = static_cast<uint8_t>(v[0]);
    m.refreshed_block = get_be64(v, 1);
    if (flags & 4) m.decimals = static_cast<uint8_t>(v[9]);
    size_t at = 10;
    auto name = get_lp_string(v, at);
    auto symbol = get_lp_string(v, at);
    if (!name || !symbol || at >= v.size()) return std::nullopt;
    if (flags & 1) m.name = std::move(name);
    if (flags & 2) m.symbol = std::move(symbol);
    size_t n = static_cast<uint8_t>(v[at]);
    if (at + 1 + n > v.size() || n > 32) return std::nullopt;
    if (flags & 8) m.total_supply = u256_from_min_be(v.substr(at + 1, n));
    return m;
}

std::string encode_transfer_value(const Transfer& t) {
    std::string v;
    v.reserve(92 + 32);
    put_bytes(v, t.token.bytes);
    put_bytes(v, t.from.bytes);
    put_bytes(v, t.to.bytes);
    put_bytes(v, t.txn_hash.bytes);
    v += u256_to_min_be(t.value);
    return v;
}

std::optional<Transfer> decode_transfer(std::string_view key, std::string_view v) {
    if (key.size() != 12 || v.size() < 92 || v.size() > 124) return std::nullopt;
    Transfer t;
    t.block_num = get_be64(key, 0);
    t.log_index = get_be32(key, 8);
    t.token = get_fixed<Address>(v, 0);
    t.from = get_fixed<Address>(v, 20);
    t.to = get_fixed<Address>(v, 40);
    t.txn_hash = get_fixed<Hash>(v, 60);
    t.value = u256_from_min_be(v.substr(92));
    return t;
}

std::string encode_header(const BlockRecord& b) {
    std::string v;
    put_bytes(v, b.hash.bytes);
    put_bytes(v, b.parent_hash.bytes);
    put_be64(v, b.timestamp);
    return v;
}

std::optional<BlockRecord> decode_header(BlockNum n, std::string_view v) {
    if (v.size() != 72) return std::nullopt;
    BlockRecord b;
    b.number = n;
    b.hash = get_fixed<Hash>(v, 0);
    b.parent_hash = get_fixed<Hash>(v, 32);
    b.timestamp = get_be64(v, 64);
    return b;
}

std::string encode_cursor(const Cursor& c) {
    std::string v;
    put_be64(v, c.block_num);
    put_bytes(v, c.hash.bytes);
    return v;
}

std::string encode_totals(const Totals& t) {
    std::string v;
    put_be64(v, t.tokens);
    put_be64(v, t.transfers);
    return v;
}

bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

// The writes of one apply or rollback, collected and then handed to RocksDB
// as one WriteBatch sorted by column family and key: memtable inserts in key
// order are markedly cheaper than in transfer order. Same-key writes keep
// their order; range deletions go first (no point write of a batch falls in a
// range the same batch deletes).
class Writes {
  public:
    void Put(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key, const rocksdb::Slice& value) {
        ops_.push_back(Op{cf->GetID(), cf, false, key.ToString(), value.ToString()});
    }
    void Delete(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& key) {
        ops_.push_back(Op{cf->GetID(), cf, true, key.ToString(), {}});
    }
    void DeleteRange(rocksdb::ColumnFamilyHandle* cf, const rocksdb::Slice& from, const rocksdb::Slice& to) {
        check(batch_.DeleteRange(cf, from, to), "delete range");
    }

    /// Writes everything atomically. The WAL is on; it is synced by Store::sync.
    void commit(rocksdb::DB& db, std::string_view what) {
        std::stable_sort(ops_.begin(), ops_.end(), [](const Op& a, const Op& b) {
            if (a.cf_id != b.cf_id) return a.cf_id < b.cf_id;
            return a.key < b.key;
        });
        for (const auto& op : ops_) {
            if (op.del) check(batch_.Delete(op.cf, op.key), "batch delete");
            else check(batch_.Put(op.cf, op.key, op.value), "batch put");
        }
        rocksdb::WriteOptions wo;
        wo.memtable_insert_hint_per_batch = true;
        check(db.Write(wo, &batch_), what);
    }

  private:
    struct Op {
        uint32_t cf_id;
        rocksdb::ColumnFamilyHandle* cf;
        bool del;
        std::string key;
        std::string value;
    };
    std::vector<Op> ops_;
    rocksdb::WriteBatch batch_;
};

}  // namespace

struct Store::Impl {
    std::string path;
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;

    ~Impl() {
        if (db) {
            for (auto* h : cfs) {
                if (h) (void)db->DestroyColumnFamilyHandle(h);
            }
            (void)db->Close();
        }
    }

    rocksdb::ColumnFamilyHandle* cf(Cf c) const { return cfs[c]; }

    std::optional<std::string> get(const rocksdb::ReadOptions& ro, Cf c, std::string_view key) const {
        std::string value;
        auto s = db->Get(ro, cf(c), slice(key), &value);
        if (s.IsNotFound()) return std::nullopt;
        check(s, "read " + std::string(kCfNames[c]));
        return value;
    }

    std::optional<Cursor> cursor(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyCursor);
        if (!v) return std::nullopt;
        if (v->size() != 40) throw StoreError("corrupt cursor row in " + path);
        return Cursor{get_be64(*v, 0), get_fixed<Hash>(*v, 8)};
    }

    Totals totals(const rocksdb::ReadOptions& ro) const {
        auto v = get(ro, kCfMeta, kKeyTotals);
        if (!v || v->size() != 16) return {};
        return Totals{get_be64(*v, 0), get_be64(*v, 8)};
    }

    std::optional<TokenStats> stats(const rocksdb::ReadOptions& ro, const Address& token) const {
        auto v = get(ro, kCfTokenStats, token_key(token));
        if (!v) return std::nullopt;
        auto s = decode_stats(*v);
        if (!s) throw StoreError("corrupt token_stats row in " + path);
        return s;
    }

    Balance balance(const rocksdb::ReadOptions& ro, const Address& token, const Address& holder) const {
        auto v = get(ro, kCfBalances, pair_key(token, holder));
        if (!v) return 0;
        auto b = decode_balance(*v);
        if (!b) throw StoreError("corrupt balances row in " + path);
        return *b;
    }

    // Moves a holder's balance from `before` to `after` in every row and
    // counter that depends on it: balances, the holders ranking, the
    // account's token list, holders and negative_balances.
    void write_balance_change(Writes& wb, const Address& token, const Address& holder,
                              const Balance& before, const Balance& after, TokenStats& s) const {
        if (before == after) return;
        if (after == 0) {
            wb.Delete(cf(kCfBalances), slice(pair_key(token, holder)));
        } else {
            wb.Put(cf(kCfBalances), slice(pair_key(token, holder)), slice(encode_balance(after)));
        }
        if (before > 0) {
            wb.Delete(cf(kCfHolders), slice(holder_rank_key(token, before, holder)));
            s.holders -= 1;
        }
        if (after > 0) {
            wb.Put(cf(kCfHolders), slice(holder_rank_key(token, after, holder)), rocksdb::Slice());
            s.holders += 1;
        }
        if ((before > 0) != (after > 0)) {
            if (after > 0) wb.Put(cf(kCfAccountTokens), slice(pair_key(holder, token)), rocksdb::Slice());
            else wb.Delete(cf(kCfAccountTokens), slice(pair_key(holder, token)));
        }
        if (before < 0) s.negative_balances -= 1;
        if (after < 0) s.negative_balances += 1;
    }

    // Writes a token's stats (or deletes them) and keeps the token rankings
    // by holders and by transfers in step.
    void write_stats(Writes& wb, const Address& token, const std::optional<TokenStats>& before,
                     const std::optional<TokenStats>& after) const {
        if (before) {
            wb.Delete(cf(kCfTokenRank), slice(token_rank_key(kRankByHolders, before->holders, token)));
            wb.Delete(cf(kCfTokenRank), slice(token_rank_key(kRankByTransfers, before->transfers, token)));
        }
        if (after) {
            wb.Put(cf(kCfTokenStats), slice(token_key(token)), slice(encode_stats(*after)));
            wb.Put(cf(kCfTokenRank), slice(token_rank_key(kRankByHolders, after->holders, token)), rocksdb::Slice());
            wb.Put(cf(kCfTokenRank), slice(token_rank_key(kRankByTransfers, after->transfers, token)), rocksdb::Slice());
        } else {
            wb.Delete(cf(kCfTokenStats), slice(token_key(token)));
        }
    }

    // Walks an index keyed `prefix (20) | block_num (8) | log_index (4)` over
    // [from_block, to_block] after `after`, resolving each row to its
    // transfer; `keep(direction byte, transfer)` filters; at most `limit` kept.
    template <class Keep>
    std::vector<View::AccountTransfer> scan_transfer_index(const rocksdb::ReadOptions& ro, Cf cf,
                                                           const Address& prefix_address, BlockNum from_block,
                                                           BlockNum to_block,
                                                           std::optional<std::pair<BlockNum, uint32_t>> after,
                                                           size_t limit, Keep keep) const {
        const Impl& d = *this;
        std::vector<View::AccountTransfer> out;
        const std::string prefix = token_key(prefix_address);
        std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(cf)));
        const std::string start = after ? prefixed_transfer_key(prefix_address, after->first, after->second)
                                        : prefixed_transfer_key(prefix_address, from_block, 0);
        it->Seek(slice(start));
        if (after && it->Valid() && view_of(it->key()) == start) it->Next();
        for (; it->Valid() && out.size() < limit; it->Next()) {
            if (!starts_with(it->key(), prefix) || it->key().size() != 32) break;
            std::string_view key = view_of(it->key());
            BlockNum b = get_be64(key, 20);
            if (b < from_block) continue;
            if (b > to_block) break;
            uint8_t dir = it->value().size() == 1 ? static_cast<uint8_t>(it->value()[0]) : 0;
            std::string tkey(key.substr(20));
            auto v = d.get(ro, kCfTransfers, tkey);
            if (!v) throw StoreError("transfer index row without its transfer in " + d.path);
            auto t = decode_transfer(tkey, *v);
            if (!t) throw StoreError("corrupt transfers row in " + d.path);
            if (keep(dir, *t)) out.push_back(View::AccountTransfer{*t, dir});
        }
        check(it->status(), "scan transfer index");
        return out;
    }

    // Balance at the end of block n, from the history rows.
    Balance balance_at(const rocksdb::ReadOptions& ro, const Address& token, const Address& holder,
                       BlockNum n) const {
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(kCfBalanceHistory)));
        std::string prefix = pair_key(token, holder);
        it->SeekForPrev(slice(history_key(token, holder, n)));
        if (!it->Valid() || !starts_with(it->key(), prefix)) return 0;
        auto b = decode_balance(view_of(it->value()));
        if (!b) throw StoreError("corrupt balance_history row in " + path);
        return *b;
    }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::string& path, const StoreOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;

    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    db_options.keep_log_file_num = 5;
    // Memtables of all column families together stay under 256 MiB (a flush
    // of the largest starts above it), and a crash replays at most 64 MiB of WAL.
    db_options.db_write_buffer_size = options.write_buffer_bytes;
    db_options.max_total_wal_size = 64u << 20;

    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    table.block_size = 16 * 1024;
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.format_version = 5;

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (auto name : kCfNames) {
        rocksdb::ColumnFamilyOptions cf_options;
        cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
        cf_options.compression = rocksdb::kLZ4Compression;
        cf_options.bottommost_compression = rocksdb::kZSTD;
        cf_options.level_compaction_dynamic_level_bytes = true;
        descriptors.emplace_back(std::string(name), cf_options);
    }

    rocksdb::DB* raw = nullptr;
    rocksdb::Status s;
    if (options.read_only) {
        s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &impl->cfs, &raw);
    } else {
        s = rocksdb::DB::Open(db_options, path, descriptors, &impl->cfs, &raw);
    }
    if (!s.ok()) {
        std::string msg = s.ToString();
        if (msg.find("lock") != std::string::npos || msg.find("Lock") != std::string::npos) {
            throw StoreError("database " + path +
                             " is locked by another process (is the daemon already running?): " + msg);
        }
        throw StoreError("cannot open database " + path + ": " + msg);
    }
    impl->db.reset(raw);

    rocksdb::ReadOptions ro;
    if (auto v = impl->get(ro, kCfMeta, kKeySchema)) {
        uint32_t version = v->size() == 4 ? get_be32(*v, 0) : 0;
        if (version != kSchemaVersion) {
            throw StoreError("database " + path + " has schema version " + std::to_string(version) +
                             ", this build reads version " + std::to_string(kSchemaVersion) +
                             ": reindex into a new --db folder");
        }
    } else if (!options.read_only) {
        std::string version_value;
        put_be32(version_value, kSchemaVersion);
        check(impl->db->Put(rocksdb::WriteOptions(), impl->cf(kCfMeta), slice(kKeySchema), version_value),
              "write schema version");
    }
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

void Store::bind_chain(uint64_t chain_id) {
    rocksdb::ReadOptions ro;
    if (auto v = impl_->get(ro, kCfMeta, kKeyChain)) {
        uint64_t stored = v->size() == 8 ? get_be64(*v, 0) : 0;
        if (stored != chain_id) {
            throw StoreError("database " + impl_->path + " holds chain id " + std::to_string(stored) +
                             " but the node serves chain id " + std::to_string(chain_id) +
                             ": point --rpc-url at the right node or use another --db folder");
        }
        return;
    }
    std::string v;
    put_be64(v, chain_id);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    check(impl_->db->Put(wo, impl_->cf(kCfMeta), slice(kKeyChain), v), "write chain id");
}

std::optional<uint64_t> Store::chain_id() const {
    auto v = impl_->get(rocksdb::ReadOptions(), kCfMeta, kKeyChain);
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::optional<Cursor> Store::cursor() const { return impl_->cursor(rocksdb::ReadOptions()); }

std::optional<BlockRecord> Store::header(BlockNum n) const {
    auto v = impl_->get(rocksdb::ReadOptions(), kCfHeaders, block_key(n));
    if (!v) return std::nullopt;
    return decode_header(n, *v);
}

std::optional<BlockRecord> Store::header_at_or_below(BlockNum n) const {
    std::unique_ptr<rocksdb::Iterator> it(
        impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCfHeaders)));
    it->SeekForPrev(slice(block_key(n)));
    if (!it->Valid() || it->key().size() != 8) return std::nullopt;
    return decode_header(get_be64(view_of(it->key()), 0), view_of(it->value()));
}

ApplyResult Store::apply(const BlockBatch& batch) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    auto cur = d.cursor(ro);
    if (cur && batch.first != cur->block_num + 1) {
        throw StoreError("apply: batch starts at block " + std::to_string(batch.first) +
                         " but the cursor is at " + std::to_string(cur->block_num));
    }
    if (batch.last.block_num + 1 < batch.first) throw StoreError("apply: empty or inverted batch");

    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);  // no per-key counters on the writer
    Writes wb;
    ApplyResult result;

    struct BalanceEntry {
        Balance before;
        Balance now;
    };
    std::map<std::pair<Address, Address>, BalanceEntry> balances;
    // Per token: the stats before the batch (nullopt for a new token) and after.
    std::map<Address, std::pair<std::optional<TokenStats>, TokenStats>> stats;
    std::set<Address> new_tokens;
    Totals totals = d.totals(ro);

    auto stats_of = [&](const Address& token, BlockNum n) -> TokenStats& {
        auto it = stats.find(token);
        if (it != stats.end()) return it->second.second;
        auto loaded = d.stats(ro, token);
        TokenStats now = loaded.value_or(TokenStats{});
        if (!loaded) {
            now.first_block = n;
            new_tokens.insert(token);
        }
        return stats.emplace(token, std::make_pair(loaded, now)).first->second.second;
    };
    auto balance_of = [&](const Address& token, const Address& holder) -> BalanceEntry& {
        auto key = std::make_pair(token, holder);
        auto it = balances.find(key);
        if (it != balances.end()) return it->second;
        Balance b = d.balance(ro, token, holder);
        return balances.emplace(key, BalanceEntry{b, b}).first->second;
    };

    // History rows are written once per (token, holder) per block, with the
    // balance at the end of the block.
    std::set<std::pair<Address, Address>> dirty;
    BlockNum block = batch.first;
    auto flush_block = [&] {
        for (const auto& key : dirty) {
            wb.Put(d.cf(kCfBalanceHistory), slice(history_key(key.first, key.second, block)),
                   slice(encode_balance(balances.at(key).now)));
        }
        dirty.clear();
    };

    for (const Transfer& t : batch.transfers) {
        if (t.block_num < batch.first || t.block_num > batch.last.block_num) {
            throw StoreError("apply: transfer outside the batch's blocks");
        }
        if (t.block_num != block) {
            flush_block();
            block = t.block_num;
        }
        wb.Put(d.cf(kCfTransfers), slice(transfer_key(t.block_num, t.log_index)),
               slice(encode_transfer_value(t)));
        wb.Put(d.cf(kCfTokenTransfers), slice(prefixed_transfer_key(t.token, t.block_num, t.log_index)),
               rocksdb::Slice());
        if (t.from == t.to) {
            if (!t.from.is_zero()) {
                wb.Put(d.cf(kCfAccountTransfers),
                       slice(prefixed_transfer_key(t.from, t.block_num, t.log_index)), "\x03");
            }
        } else {
            if (!t.from.is_zero()) {
                wb.Put(d.cf(kCfAccountTransfers),
                       slice(prefixed_transfer_key(t.from, t.block_num, t.log_index)), "\x01");
            }
            if (!t.to.is_zero()) {
                wb.Put(d.cf(kCfAccountTransfers),
                       slice(prefixed_transfer_key(t.to, t.block_num, t.log_index)), "\x02");
            }
        }

        TokenStats& s = stats_of(t.token, t.block_num);
        s.transfers += 1;
        s.last_block = t.block_num;
        Balance value = static_cast<Balance>(t.value);
        if (t.from.is_zero()) s.minted += value;
        if (t.to.is_zero()) s.burned += value;
        if (t.value != 0) {
            if (!t.from.is_zero()) {
                balance_of(t.token, t.from).now -= value;
                dirty.emplace(t.token, t.from);
            }
            if (!t.to.is_zero()) {
                balance_of(t.token, t.to).now += value;
                dirty.emplace(t.token, t.to);
            }
        }
        totals.transfers += 1;
        result.transfers += 1;
    }
    flush_block();

    for (const auto& [key, e] : balances) {
        d.write_balance_change(wb, key.first, key.second, e.before, e.now, stats.at(key.first).second);
    }
    for (const auto& [token, s] : stats) {
        d.write_stats(wb, token, s.first, s.second);
        result.touched_tokens.push_back(token);
    }
    totals.tokens += new_tokens.size();
    result.new_tokens.assign(new_tokens.begin(), new_tokens.end());

    for (const auto& h : batch.headers) {
        wb.Put(d.cf(kCfHeaders), slice(block_key(h.number)), slice(encode_header(h)));
    }
    for (const auto& [n, ts] : batch.block_times) {
        std::string v;
        put_be64(v, ts);
        wb.Put(d.cf(kCfBlockTimes), slice(block_key(n)), slice(v));
    }
    if (batch.prune_headers_below > 0) {
        wb.DeleteRange(d.cf(kCfHeaders), slice(block_key(0)), slice(block_key(batch.prune_headers_below)));
    }
    wb.Put(d.cf(kCfMeta), slice(kKeyTotals), slice(encode_totals(totals)));
    wb.Put(d.cf(kCfMeta), slice(kKeyCursor), slice(encode_cursor(batch.last)));
    wb.commit(*d.db, "apply blocks");
    return result;
}

RollbackResult Store::rollback(const std::optional<Cursor>& to) {
    Impl& d = *impl_;
    rocksdb::ReadOptions ro;
    RollbackResult result;
    auto cur = d.cursor(ro);
    if (!cur || (to && cur->block_num <= to->block_num)) {
        if (cur) result.from_block = cur->block_num;
        return result;
    }
    result.from_block = cur->block_num;
    // Blocks from `first` on are undone; with no target, every block.
    const BlockNum first = to ? to->block_num + 1 : 0;
    const BlockNum n = to ? to->block_num : 0;

    Writes wb;
    std::map<Address, std::pair<TokenStats, TokenStats>> stats;  // before, after
    std::set<std::pair<Address, Address>> touched;
    Totals totals = d.totals(ro);

    std::unique_ptr<rocksdb::Iterator> it(d.db->NewIterator(ro, d.cf(kCfTransfers)));
    for (it->Seek(slice(transfer_key(first, 0))); it->Valid(); it->Next()) {
        auto t = decode_transfer(view_of(it->key()), view_of(it->value()));
        if (!t) throw StoreError("corrupt transfers row in " + d.path);
        wb.Delete(d.cf(kCfTransfers), it->key());
        wb.Delete(d.cf(kCfTokenTransfers), slice(prefixed_transfer_key(t->token, t->block_num, t->log_index)));
        if (!t->from.is_zero()) {
            wb.Delete(d.cf(kCfAccountTransfers),
                      slice(prefixed_transfer_key(t->from, t->block_num, t->log_index)));
        }
        if (!t->to.is_zero()) {
            wb.Delete(d.cf(kCfAccountTransfers),
                      slice(prefixed_transfer_key(t->to, t->block_num, t->log_index)));
        }
        auto sit = stats.find(t->token);
        if (sit == stats.end()) {
            auto loaded = d.stats(ro, t->token);
            if (!loaded) throw StoreError("rollback: transfer of a token without stats in " + d.path);
            sit = stats.emplace(t->token, std::make_pair(*loaded, *loaded)).first;
        }
        TokenStats& s = sit->second.second;
        s.transfers -= 1;
        Balance value = static_cast<Balance>(t->value);
        if (t->from.is_zero()) s.minted -= value;
        if (t->to.is_zero()) s.burned -= value;
        if (t->value != 0) {
            if (!t->from.is_zero()) touched.emplace(t->token, t->from);
            if (!t->to.is_zero()) touched.emplace(t->token, t->to);
        }
        totals.transfers -= 1;
        result.transfers_undone += 1;
    }
    check(it->status(), "scan transfers");

    for (const auto& [token, holder] : touched) {
        Balance now = d.balance(ro, token, holder);
        Balance restored = to ? d.balance_at(ro, token, holder, n) : Balance(0);
        wb.DeleteRange(d.cf(kCfBalanceHistory), slice(history_key(token, holder, first)),
                       slice(history_key(token, holder, std::numeric_limits<BlockNum>::max())));
        d.write_balance_change(wb, token, holder, now, restored, stats.at(token).second);
    }

    std::unique_ptr<rocksdb::Iterator> tt(d.db->NewIterator(ro, d.cf(kCfTokenTransfers)));
    for (auto& [token, before_after] : stats) {
        auto& [before, s] = before_after;
        if (s.transfers == 0) {
            d.write_stats(wb, token, before, std::nullopt);
            wb.Delete(d.cf(kCfTokenMeta), slice(token_key(token)));
            totals.tokens -= 1;
            result.tokens_removed += 1;
            continue;
        }
        tt->SeekForPrev(slice(prefixed_transfer_key(token, n, std::numeric_limits<uint32_t>::max())));
        if (!tt->Valid() || !starts_with(tt->key(), token_key(token))) {
            throw StoreError("rollback: token transfers index disagrees with stats in " + d.path);
        }
        s.last_block = get_be64(view_of(tt->key()), 20);
        d.write_stats(wb, token, before, s);
        result.touched_tokens.push_back(token);
    }

    const std::string from_key = block_key(first);
    const std::string end_key = block_key(std::numeric_limits<BlockNum>::max());
    wb.DeleteRange(d.cf(kCfHeaders), slice(from_key), slice(end_key));
    wb.DeleteRange(d.cf(kCfBlockTimes), slice(from_key), slice(end_key));
    wb.Put(d.cf(kCfMeta), slice(kKeyTotals), slice(encode_totals(totals)));
    if (to) wb.Put(d.cf(kCfMeta), slice(kKeyCursor), slice(encode_cursor(*to)));
    else wb.Delete(d.cf(kCfMeta), slice(kKeyCursor));
    wb.commit(*d.db, "rollback");
    return result;
}

void Store::put_token_meta(const Address& token, const TokenMeta& meta) {
    check(impl_->db->Put(rocksdb::WriteOptions(), impl_->cf(kCfTokenMeta), slice(token_key(token)),
                         slice(encode_token_meta(meta))),
          "write token metadata");
}

std::vector<Address> Store::tokens_without_meta() const {
    std::vector<Address> out;
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro, impl_->cf(kCfTokenStats)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (it->key().size() != 20) continue;
        if (!impl_->get(ro, kCfTokenMeta, view_of(it->key()))) {
            out.push_back(get_fixed<Address>(view_of(it->key()), 0));
        }
    }
    check(it->status(), "scan token stats");
    return out;
}

View Store::view() const { return View(impl_.get(), impl_->db->GetSnapshot()); }

void Store::sync() { check(impl_->db->SyncWAL(), "sync WAL"); }

BlockNum Store::rollback_step(BlockNum floor, size_t max_transfers) const {
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->cf(kCfTransfers)));
    size_t seen = 0;
    std::optional<BlockNum> last_block;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (it->key().size() != 12) continue;
        const BlockNum b = get_be64(view_of(it->key()), 0);
        if (b <= floor) return floor;
        if (!last_block) last_block = b;
        if (++seen > max_transfers) {
            // Keep block b: undoing the blocks after it stays within the bound,
            // unless b is the last block itself, which must go in any case.
            return b == *last_block ? (b - 1 > floor ? b - 1 : floor) : b;
        }
    }
    check(it->status(), "scan transfers");
    return floor;
}

void Store::compact() {
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (auto* h : impl_->cfs) check(impl_->db->CompactRange(options, h, nullptr, nullptr), "compact");
}

std::optional<Cursor> Store::checkpoint(const std::string& dir) {
    rocksdb::Checkpoint* raw = nullptr;
    check(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), "backup");
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // The WAL is flushed into the checkpoint, so it is consistent at one instant.
    check(cp->CreateCheckpoint(dir, 0), "backup to " + dir);
    // Blocks may be applied while the checkpoint is taken: read its own cursor.
    StoreOptions ro;
    ro.read_only = true;
    ro.block_cache_bytes = 8u << 20;
    return Store::open(dir, ro)->cursor();
}

uint64_t Store::size_bytes() const {
    uint64_t total = 0;
    for (auto* h : impl_->cfs) {
        uint64_t v = 0;
        if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
        if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kSizeAllMemTables, &v)) total += v;
    }
    return total;
}

// ---------------------------------------------------------------------------
// View

View::View(const Store::Impl* store, const rocksdb::Snapshot* snapshot)
    : store_(store), snapshot_(snapshot) {}

View::View(View&& other) noexcept : store_(other.store_), snapshot_(other.snapshot_) {
    other.snapshot_ = nullptr;
}

View::~View() {
    if (snapshot_) store_->db->ReleaseSnapshot(snapshot_);
}

namespace {
rocksdb::ReadOptions snapshot_options(const rocksdb::Snapshot* s) {
    rocksdb::ReadOptions ro;
    ro.snapshot = s;
    return ro;
}
}  // namespace

std::optional<Cursor> View::cursor() const { return store_->cursor(snapshot_options(snapshot_)); }
Totals View::totals() const { return store_->totals(snapshot_options(snapshot_)); }

std::optional<uint64_t> View::chain_id() const {
    auto v = store_->get(snapshot_options(snapshot_), kCfMeta, kKeyChain);
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::optional<TokenStats> View::token_stats(const Address& token) const {
    return store_->stats(snapshot_options(snapshot_), token);
}

std::optional<TokenMeta> View::token_meta(const Address& token) const {
    auto v = store_->get(snapshot_options(snapshot_), kCfTokenMeta, token_key(token));
    if (!v) return std::nullopt;
    return decode_token_meta(*v);
}

Balance View::balance(const Address& token, const Address& holder) const {
    return store_->balance(snapshot_options(snapshot_), token, holder);
}

Balance View::balance_at(const Address& token, const Address& holder, BlockNum n) const {
    return store_->balance_at(snapshot_options(snapshot_), token, holder, n);
}

std::optional<uint64_t> View::block_time(BlockNum n) const {
    auto v = store_->get(snapshot_options(snapshot_), kCfBlockTimes, block_key(n));
    if (!v || v->size() != 8) return std::nullopt;
    return get_be64(*v, 0);
}

std::vector<HolderItem> View::holders(const Address& token, std::string_view after, size_t limit,
                                      std::string& next) const {
    std::vector<HolderItem> out;
    next.clear();
    auto ro = snapshot_options(snapshot_);
    std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfHolders)));
    std::string start = prefix + std::string(after);
    it->Seek(slice(start));
    if (!after.empty() && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix)) break;
        std::string_view key = view_of(it->key());
        if (key.size() < 41) throw StoreError("corrupt holders row");
        size_t len = 0xff - static_cast<uint8_t>(key[20]);
        if (key.size() != 41 + len) throw StoreError("corrupt holders row");
        uint8_t mag[64];
        for (size_t i = 0; i < len; ++i) mag[i] = static_cast<uint8_t>(~static_cast<uint8_t>(key[21 + i]));
        HolderItem item;
        item.holder = get_fixed<Address>(key, 21 + len);
        boost::multiprecision::uint512_t magnitude = 0;
        if (len != 0) boost::multiprecision::import_bits(magnitude, mag, mag + len, 8);
        item.balance = static_cast<Balance>(magnitude);
        out.push_back(item);
        next.assign(key.substr(20));
    }
    check(it->status(), "scan holders");
    if (out.size() < limit) next.clear();
    else {
        // Exhausted exactly at a page boundary: say so, so no empty page follows.
        if (!it->Valid() || !starts_with(it->key(), prefix)) next.clear();
    }
    return out;
}

std::vector<Transfer> View::token_transfers(const Address& token, BlockNum from_block, BlockNum to_block,
                                            std::optional<std::pair<BlockNum, uint32_t>> after,
                                            size_t limit) const {
    auto rows = store_->scan_transfer_index(snapshot_options(snapshot_), kCfTokenTransfers, token, from_block,
                                    to_block, after, limit, [](uint8_t, const Transfer&) { return true; });
    std::vector<Transfer> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(r.transfer);
    return out;
}

std::vector<Address> View::tokens(std::optional<Address> after, size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenStats)));
    if (after) {
        it->Seek(slice(token_key(*after)));
        if (it->Valid() && view_of(it->key()) == token_key(*after)) it->Next();
    } else {
        it->SeekToFirst();
    }
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (it->key().size() == 20) out.push_back(get_fixed<Address>(view_of(it->key()), 0));
    }
    check(it->status(), "scan tokens");
    return out;
}

std::vector<Address> View::tokens_ranked(char ranking, std::string_view after, size_t limit,
                                        std::string& next) const {
    std::vector<Address> out;
    next.clear();
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfTokenRank)));
    const std::string prefix(1, ranking);
    const std::string start = prefix + std::string(after);
    it->Seek(slice(start));
    if (!after.empty() && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 29) break;
        out.push_back(get_fixed<Address>(view_of(it->key()), 9));
        next.assign(view_of(it->key()).substr(1));
    }
    check(it->status(), "scan token ranking");
    if (out.size() < limit || !it->Valid() || !starts_with(it->key(), prefix)) next.clear();
    return out;
}

std::vector<Address> View::account_tokens(const Address& account, std::optional<Address> after, size_t limit) const {
    std::vector<Address> out;
    auto ro = snapshot_options(snapshot_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfAccountTokens)));
    const std::string prefix = token_key(account);
    const std::string start = after ? pair_key(account, *after) : prefix;
    it->Seek(slice(start));
    if (after && it->Valid() && view_of(it->key()) == start) it->Next();
    for (; it->Valid() && out.size() < limit; it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 40) break;
        out.push_back(get_fixed<Address>(view_of(it->key()), 20));
    }
    check(it->status(), "scan account tokens");
    return out;
}

std::vector<View::AccountTransfer> View::account_transfers(const Address& account, std::optional<Address> token,
                                                           uint8_t directions, BlockNum from_block,
                                                           BlockNum to_block,
                                                           std::optional<std::pair<BlockNum, uint32_t>> after,
                                                           size_t limit) const {
    return store_->scan_transfer_index(snapshot_options(snapshot_), kCfAccountTransfers, account, from_block,
                               to_block, after, limit, [&](uint8_t dir, const Transfer& t) {
                                   return (dir & directions) != 0 && (!token || t.token == *token);
                               });
}

std::vector<HolderItem> View::holders_at(const Address& token, BlockNum n) const {
    std::vector<HolderItem> out;
    auto ro = snapshot_options(snapshot_);
    const std::string prefix = token_key(token);
    std::unique_ptr<rocksdb::Iterator> it(store_->db->NewIterator(ro, store_->cf(kCfBalanceHistory)));
    // Rows are ordered by holder, then block: keep each holder's last row at or below n.
    std::optional<HolderItem> current;
    auto flush = [&] {
        if (current && current->balance > 0) out.push_back(*current);
        current.reset();
    };
    for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
        if (!starts_with(it->key(), prefix) || it->key().size() != 48) break;
        std::string_view key = view_of(it->key());
        Address holder = get_fixed<Address>(key, 20);
        if (current && current->holder != holder) flush();
        if (get_be64(key, 40) > n) continue;
        auto b = decode_balance(view_of(it->value()));
        if (!b) throw StoreError("corrupt balance_history row");
        current = HolderItem{holder, *b};
    }
    flush();
    check(it->status(), "scan balance history");
    std::sort(out.begin(), out.end(), [](const HolderItem& a, const HolderItem& b) {
        if (a.balance != b.balance) return a.balance > b.balance;
        return a.holder < b.holder;
    });
    return out;
}


}  // namespace erc20::storage
