#pragma once
// Internal to storage/: the write buffer of one apply or rollback.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/slice.h>

#include "storage/schema.hpp"
#include "storage/store.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
struct Options;
}  // namespace rocksdb

namespace erc20::storage {

/// The writes of one apply or rollback, per column family in one arena,
/// handed to RocksDB sorted by key: as one WriteBatch (memtable inserts in
/// key order are markedly cheaper than in transfer order), or, for a large
/// batch, as one table file per family ingested in one atomic step, which
/// bypasses the memtables and the WAL. Of several writes to one key the last
/// wins. Range deletions never cover a point write of the same batch.
class Writes {
  public:
    void Put(Cf c, const rocksdb::Slice& key, const rocksdb::Slice& value) {
        add(c, kPut, key, value, kKeyed);
    }
    void Delete(Cf c, const rocksdb::Slice& key) { add(c, kDelete, key, {}, kKeyed); }
    void DeleteRange(Cf c, const rocksdb::Slice& from, const rocksdb::Slice& to) {
        add(c, kDeleteRange, from, to, kKeyed);
    }
    /// A put whose key order the caller knows: `order`, then the order of
    /// the calls, must be the keys' order, and keys unique. Sorting integers
    /// instead of keys is most of what makes a large batch cheap. A family
    /// written with both kinds of calls is sorted by key.
    void Put(Cf c, const rocksdb::Slice& key, const rocksdb::Slice& value, uint64_t order) {
        add(c, kPut, key, value, order);
    }
    void Delete(Cf c, const rocksdb::Slice& key, uint64_t order) {
        add(c, kDelete, key, {}, order);
    }
    /// The order of a write sorted by key.
    static constexpr uint64_t kKeyed = ~uint64_t{0};
    /// An order from a rank (of a token, pair or account) and a position.
    static constexpr uint64_t ordered(uint32_t rank, size_t position) {
        return uint64_t{rank} << 32 | static_cast<uint32_t>(position);
    }
    void reserve(Cf c, size_t rows, size_t bytes_per_row) {
        families_[c].entries.reserve(rows);
        families_[c].arena.reserve(rows * bytes_per_row);
    }

    enum Type : uint8_t { kPut, kDelete, kDeleteRange };
    /// What a commit writes: f(family, type, key, value), every range
    /// deletion of a family then the last point write of each key in key
    /// order, value being a range's end. Sorts the families first.
    using Emit = std::function<void(Type, const rocksdb::Slice&, const rocksdb::Slice&)>;
    void emit(Cf c, const Emit& f);
    [[nodiscard]] bool empty(Cf c) const { return families_[c].entries.empty(); }
    /// Bytes buffered for a family, keys and values.
    [[nodiscard]] size_t bytes(Cf c) const { return families_[c].arena.size(); }

    /// Writes everything atomically through the memtables. The WAL is on;
    /// it is synced by Store::sync. `before` runs just before the write.
    void commit(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                std::string_view what, const std::function<void()>& before);

    /// Writes everything atomically as table files, one per family (named
    /// `dir/<++seq>-<family>.sst`, written on two threads), moved into the
    /// database by one IngestExternalFiles: all or nothing, durable when it
    /// returns, seen all at once by readers. `before` runs once the files
    /// are written, just before the ingestion. The files are gone after it,
    /// whether it succeeded or threw.
    void ingest(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                const std::vector<rocksdb::Options>& options, const std::string& dir, uint64_t& seq,
                std::string_view what, const std::function<void()>& before);

  private:
    struct Entry {
        size_t offset;
        uint64_t order;
        uint32_t key_size;
        uint32_t value_size;
        uint32_t seq;
        Type type;
    };
    struct Family {
        std::vector<Entry> entries;
        std::string arena;
        bool keyed{false};  // some write gave no order: sort by key
        [[nodiscard]] rocksdb::Slice key(const Entry& e) const {
            return {arena.data() + e.offset, e.key_size};
        }
        [[nodiscard]] rocksdb::Slice value(const Entry& e) const {
            return {arena.data() + e.offset + e.key_size, e.value_size};
        }
        void sort();
        void sort_by_order();
        // Defined in writes.cpp, the one place that calls them.
        template <class F>
        void emit(F&& f) const;
        template <class F>
        void each_last(F&& f) const;
    };
    static void write_file(Family& f, const std::string& file, const rocksdb::Options& options,
                           rocksdb::ColumnFamilyHandle* cf);
    void write_files(const std::vector<size_t>& order, const std::vector<std::string>& files,
                     const std::vector<rocksdb::Options>& options,
                     const std::vector<rocksdb::ColumnFamilyHandle*>& cfs);

    void add(Cf c, Type type, const rocksdb::Slice& key, const rocksdb::Slice& value,
             uint64_t order) {
        Family& f = families_[c];
        if (order == kKeyed) f.keyed = true;
        f.entries.push_back(Entry{f.arena.size(), order, static_cast<uint32_t>(key.size()),
                                  static_cast<uint32_t>(value.size()),
                                  static_cast<uint32_t>(f.entries.size()), type});
        f.arena.append(key.data(), key.size());
        f.arena.append(value.data(), value.size());
    }
    std::array<Family, kCfCount> families_;
};

}  // namespace erc20::storage
