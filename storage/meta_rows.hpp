#pragma once
// The `meta` column family: database-wide rows keyed by name. Each row's
// layout and codec together; decoders return nullopt on a corrupt row.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keys.hpp"
#include "storage/types.hpp"

namespace erc20::storage {

/// Database-wide rows, keyed by name:
///   "schema_version" : u32
///   "chain_id"       : u64
///   "cursor"         : last applied block_num (8) | its hash (32)
///   "totals"         : tokens (8) | transfers (8)
///   "meta_version"   : u64, advanced by every token_meta write and rollback (absent = 0)
///   "history_version": u64, advanced by every rollback and add-tokens step
///                      (absent = 0): what a snapshot shows at or below its
///                      cursor changes only with it
///   "token_filter"   : the --tokens the database indexes, ascending, 20 bytes
///                      each; empty = every token. Written with the chain id.
///   "start_block"    : u64, the --start-block the database was built from
///   "token_backfill" : an add-tokens in progress: next block (8) | the tokens
///                      being added, ascending, 20 bytes each. Absent otherwise.
///   "log_limit"      : u64, the node's eth_getLogs log limit as the indexer
///                      learned it (absent: none learned). Written with the cursor.
///   "token_queue"    : empty; present once token_queue holds every token whose
///                      metadata is missing or stale (a database of an older
///                      version is scanned once to fill it)
///   "token_queue_rollback": u64, the lowest target of the rollbacks whose
///                      undone supply readings the metadata worker has not yet
///                      queued again (0: every block); absent: none
///   "token_symbols"  : empty; present once token_symbols holds the symbol of
///                      every token_meta row (a database of an older version
///                      is scanned once to fill it)
///   "stream_id"      : u64, drawn at random when the change stream starts:
///                      a stream cursor names its database
///   "stream_seq"     : u64, the sequence number of the last write that logged
///                      a change to stream_log (absent = 0), written with it
///   "stream_floor"   : u64, the first block stream_blocks covers: 0, or the
///                      cursor + 1 of a database from before the stream
inline constexpr std::string_view kMeta{"meta"};

inline constexpr std::string_view kKeySchema{"schema_version"};
inline constexpr std::string_view kKeyChain{"chain_id"};
inline constexpr std::string_view kKeyCursor{"cursor"};
inline constexpr std::string_view kKeyTotals{"totals"};
inline constexpr std::string_view kKeyMetaVersion{"meta_version"};
inline constexpr std::string_view kKeyHistoryVersion{"history_version"};
inline constexpr std::string_view kKeyTokenFilter{"token_filter"};
inline constexpr std::string_view kKeyStartBlock{"start_block"};
inline constexpr std::string_view kKeyTokenBackfill{"token_backfill"};
inline constexpr std::string_view kKeyLogLimit{"log_limit"};
inline constexpr std::string_view kKeyTokenQueue{"token_queue"};
inline constexpr std::string_view kKeyTokenQueueRollback{"token_queue_rollback"};
inline constexpr std::string_view kKeyTokenSymbols{"token_symbols"};
inline constexpr std::string_view kKeyStreamId{"stream_id"};
inline constexpr std::string_view kKeyStreamSeq{"stream_seq"};
inline constexpr std::string_view kKeyStreamFloor{"stream_floor"};

inline constexpr size_t kCursorValueSize = kBlockNumSize + kHashSize;
inline constexpr size_t kTotalsValueSize = size_t{2} * 8;

/// schema_version.
std::string encode_u32(uint32_t v);
std::optional<uint32_t> decode_u32(std::string_view value);
/// chain_id, meta_version, start_block, log_limit.
std::string encode_u64(uint64_t v);
std::optional<uint64_t> decode_u64(std::string_view value);

std::string encode_cursor(const Cursor& c);
std::optional<Cursor> decode_cursor(std::string_view value);

std::string encode_totals(const Totals& t);
std::optional<Totals> decode_totals(std::string_view value);

/// token_filter: the addresses back to back.
std::string encode_addresses(const std::vector<Address>& tokens);
std::optional<std::vector<Address>> decode_addresses(std::string_view value);

/// token_backfill; a row without tokens is corrupt.
std::string encode_backfill(const TokenBackfill& job);
std::optional<TokenBackfill> decode_backfill(std::string_view value);

}  // namespace erc20::storage
