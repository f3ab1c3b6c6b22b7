#pragma once
// Internal to storage/: the epochs of ranked_history (storage/ranked_rows.hpp)
// for apply, rollback and View.
//
// A token's first epoch starts with the first batch that has its transfers.
// A batch writes each history row's entries into the token's current epoch:
// the entry of the balance before ends at the row's block, one of the
// balance after starts there. When an epoch holds kEpochRatio times the
// token's holders (and at least StoreOptions::history_epoch_min_entries),
// the next batch starts a new one with a copy of the live entries: copies
// cost at most one row per (kEpochRatio - 1) changes, and a scan of any
// epoch reads at most kEpochRatio times the holders the token had when it
// filled (plus the batch that filled it). A rollback to block B drops the
// epochs that start after B and, in the one holding B, the entries of the
// undone rows; the entries those rows had ended are live again.

#include <algorithm>
#include <functional>
#include <optional>
#include <string_view>

#include "storage/store_impl.hpp"

namespace erc20::storage {

inline constexpr uint64_t kEpochRatio = 3;
inline uint64_t epoch_capacity(const Store::Impl& d, uint64_t holders) {
    return std::max(d.epoch_min_entries, kEpochRatio * holders);
}

struct Epoch {
    BlockNum start{0};
    uint64_t entries{0};
};

/// The token's epoch holding block n; nullopt when it has none that early.
std::optional<Epoch> epoch_at(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                              const Address& token, BlockNum n);

/// The epoch a batch starting at block `first` writes the token's entries
/// into: the current one, or a new one starting at `first` (its copies go
/// into `wb`) for a new token or when the current one is full.
Epoch open_epoch(const Store::Impl& d, const rocksdb::ReadOptions& ro, Writes& wb,
                 const Address& token, BlockNum first, uint64_t holders);
void write_epoch(Writes& wb, const Address& token, const Epoch& e);

/// The entries of one history row at `block` (see above); counts the new
/// entry into `e`.
void write_ranked_change(Writes& wb, const Address& token, Epoch& e, const Address& holder,
                         const BalanceRow& before, const Balance& after, BlockNum block);

/// Rollback: drops the token's epochs from block `first` on.
void drop_epochs(Writes& wb, const Address& token, BlockNum first);
/// Rollback, in the epoch `e` that holds the target: the entry of an undone
/// history row goes, the entry of the restored balance is live again.
void undo_ranked_row(Writes& wb, const Address& token, const Epoch& e, const Address& holder,
                     const Balance& undone, BlockNum block);
void reopen_ranked(Writes& wb, const Address& token, const Epoch& e, const Address& holder,
                   const BalanceRow& restored);

/// The holders live at the end of block n, in ranking order, after the
/// holders-key part `after` (empty: from the top); f returns false to stop.
void scan_ranked(const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token,
                 BlockNum n, std::string_view after,
                 const std::function<bool(const RankedEntry&)>& f);

}  // namespace erc20::storage
