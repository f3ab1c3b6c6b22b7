#pragma once
// Internal to storage/: the epochs of ranked_history (storage/ranked_rows.hpp)
// for apply, rollback and View.
//
// Each (token, rank class) has its own epochs. A token's first epoch in a
// class starts with the first batch that writes an entry there. A batch
// writes each history row's entries into the current epochs of their
// classes: the entry of the balance before ends at the row's block, one of
// the balance after starts there. When an epoch holds kEpochRatio times the
// fewest live entries its class had at any of its blocks (and at least
// StoreOptions::history_epoch_min_entries), the next batch that writes into
// the class starts a new epoch with a copy of the live entries. A scan at
// block n reads the whole epoch holding n: at most about kEpochRatio times
// the class's holders at n (plus the minimum and one batch's entries), since
// the class had no fewer at any block of the epoch. A copy costs at most one
// row per (kEpochRatio - 1) changes plus one per holder the class gained in
// the epoch (while a class grows its epochs grow geometrically, so each
// holder is copied a bounded number of times). A rollback to
// block B drops the epochs that start after B and, in the ones holding B,
// the entries of the undone rows; the entries those rows had ended are live
// again. The counts of an epoch holding B stay as they were: they only time
// the next epoch.

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "storage/store_impl.hpp"

namespace erc20::storage {

inline constexpr uint64_t kEpochRatio = 3;

using Epoch = CurrentEpoch;

/// The epoch of (token, class) holding block n; nullopt when it has none that early.
std::optional<Epoch> epoch_at(const Store::Impl& d, const rocksdb::ReadOptions& ro,
                              const Address& token, RankClass c, BlockNum n);

/// The rank-history rows of one batch starting at block `first`.
class RankedWriter {
  public:
    RankedWriter(const Store::Impl& d, const rocksdb::ReadOptions& ro, BlockNum first)
        : d_(d), ro_(ro), first_(first) {}
    /// The entries of one history row at `block` (see above).
    void change(Writes& wb, const Address& token, const Address& holder, const BalanceRow& before,
                const Balance& after, BlockNum block);
    /// The counts of every epoch the batch wrote into.
    void finish(Writes& wb) const;

  private:
    struct Key {
        Address token;
        RankClass c;
        friend bool operator==(const Key&, const Key&) = default;
    };
    struct KeyHasher {
        size_t operator()(const Key& k) const noexcept { return AddressHasher()(k.token) ^ k.c; }
    };
    Epoch& epoch(Writes& wb, const Address& token, RankClass c);

    const Store::Impl& d_;
    const rocksdb::ReadOptions& ro_;
    const BlockNum first_;
    std::unordered_map<Key, Epoch, KeyHasher> epochs_;
};

/// The rank-history rows of one rollback to `target` (none: everything),
/// undoing the blocks from `first` on.
class RankedUndo {
  public:
    /// `kept`: for each token the rollback touches, the block of its last
    /// transfer left (nullopt: none, the token goes). The epoch holding that
    /// block becomes current again: the epochs after it hold no change of
    /// the token the rollback keeps, only copies, and dropping them keeps
    /// every current epoch at or below its token's last transfer, so no
    /// later batch (which starts above the cursor) finds one ahead of it,
    /// however deep a later rollback that does not touch the token goes.
    RankedUndo(const Store::Impl& d, const rocksdb::ReadOptions& ro,
               std::map<Address, std::optional<BlockNum>> kept)
        : d_(d), ro_(ro), kept_(std::move(kept)) {}
    /// The entry of an undone history row goes.
    void undo_row(Writes& wb, const Address& token, const Address& holder, const Balance& undone,
                  BlockNum block);
    /// The entry of a restored balance is live again.
    void reopen(Writes& wb, const Address& token, const Address& holder,
                const BalanceRow& restored);
    /// The token's epochs after its kept block go, in every class (all of
    /// them when it goes).
    void drop_epochs(Writes& wb, const Address& token) const;

  private:
    const std::optional<Epoch>& epoch(const Address& token, RankClass c);

    const Store::Impl& d_;
    const rocksdb::ReadOptions& ro_;
    const std::map<Address, std::optional<BlockNum>> kept_;
    std::map<std::pair<Address, RankClass>, std::optional<Epoch>> epochs_;
};

/// The holders live at the end of block n, in ranking order, after the
/// ranking part `after` (empty: from the top); f returns false to stop.
void scan_ranked(const Store::Impl& d, const rocksdb::ReadOptions& ro, const Address& token,
                 BlockNum n, std::string_view after,
                 const std::function<bool(const RankedEntry&)>& f);

}  // namespace erc20::storage
