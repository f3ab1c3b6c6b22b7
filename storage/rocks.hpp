#pragma once
// Internal to storage/: the boundary with RocksDB. Status translation and
// the corrupt-row policy each live here, once.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "storage/schema.hpp"
#include "storage/store.hpp"

namespace erc20::storage {

inline rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view view_of(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
inline bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

/// Throws StoreError for a failed status: kIo for an I/O error, else kOther.
/// `what` says what was being done.
void check(const rocksdb::Status& s, std::string_view what);

/// The policy for a row that does not decode (a key or value of the wrong
/// size or shape), wherever it is read: never read as zero, absent or
/// skipped. It is logged as an error, counted in the metric
/// erc20_store_corrupt_rows_total{family="..."} and thrown as
/// StoreError (kOther) naming the family, the key in hex, the database and
/// `why` when given. The failed read or write changes nothing.
[[noreturn]] void corrupt_row(Cf family, std::string_view key, const std::string& db_path,
                              std::string_view why = {});

/// The decoded row, or corrupt_row when it did not decode.
template <class T>
T decoded(std::optional<T> row, Cf family, std::string_view key, const std::string& db_path) {
    if (!row) corrupt_row(family, key, db_path);
    return std::move(*row);
}

}  // namespace erc20::storage
