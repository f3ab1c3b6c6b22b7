#pragma once
// The on-disk schema: every column family, in the order the store opens
// them. Each family's layout (byte by byte), key builder and value codec
// live together in one file per group:
//
//   meta_rows.hpp     meta (schema version, chain id, cursor, totals, scope, add-tokens)
//   chain_rows.hpp    headers, block_times, transfers, token_transfers, account_transfers,
//                     chain_activity
//   balance_rows.hpp  balances, holders, balance_history, account_tokens
//   token_rows.hpp    token_stats, token_blocks, token_meta, token_symbols, token_rank,
//                     token_queue
//   ranked_rows.hpp   history_epochs, ranked_history (holders at past blocks)
//   stream_rows.hpp   stream_blocks, stream_log (the change stream)
//   keys.hpp          the key shapes they share, with their named sizes
//
// Integers in keys are big-endian (bytewise order = numeric order).
// Addresses are 20 raw bytes, hashes 32. Amounts in values are minimal
// big-endian (codec.hpp). Everything except `meta`'s metadata rows,
// `token_meta` and `token_queue` is derived from the chain and written only
// by Store::apply / Store::rollback, each in one atomic write together with
// the cursor. `token_queue` (the metadata still to fetch) is added to by
// those writes and emptied by the metadata writes. A database of another
// schema version does not open (storage/open.cpp says to reindex it).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/balance_rows.hpp"
#include "storage/chain_rows.hpp"
#include "storage/meta_rows.hpp"
#include "storage/ranked_rows.hpp"
#include "storage/stream_rows.hpp"
#include "storage/token_rows.hpp"

namespace erc20::storage {

/// 2: balances carry their last change's block; history_epochs and ranked_history.
/// 3: token_blocks; block_times of every block, not only those with transfers.
/// 4: chain_activity. (token_symbols came later without a new version: it is
/// built from token_meta when a database without it is opened; the stream's
/// families start empty in an older database, from its cursor.)
inline constexpr uint32_t kSchemaVersion = 4;

/// The column families, as indexes into the store's handles.
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
    kCfTokenQueue,
    kCfHistoryEpochs,
    kCfRankedHistory,
    kCfTokenBlocks,
    kCfChainActivity,
    kCfTokenSymbols,
    kCfStreamBlocks,
    kCfStreamLog,
    kCfCount
};

inline constexpr std::array<std::string_view, kCfCount> kCfNames{
    "default",      kMeta,           kHeaders,          kBlockTimes,
    kTransfers,     kTokenTransfers, kAccountTransfers, kBalances,
    kHolders,       kBalanceHistory, kTokenStats,       kTokenMeta,
    kAccountTokens, kTokenRank,      kTokenQueue,       kHistoryEpochs,
    kRankedHistory, kTokenBlocks,    kChainActivity,    kTokenSymbols,
    kStreamBlocks,  kStreamLog,
};

}  // namespace erc20::storage
