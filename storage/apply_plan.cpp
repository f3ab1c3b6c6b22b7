#include "storage/apply_plan.hpp"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace erc20::storage {

namespace {

constexpr BlockNum kNoBlock = ~BlockNum{0};

size_t pair_hash(const Address& token, const Address& holder) noexcept {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, holder.bytes.data() + 12, 8);
    std::memcpy(&b, token.bytes.data() + 12, 8);
    return static_cast<size_t>((a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL >> 7);
}

}  // namespace

ApplyPlan::ApplyPlan(const Store::Impl& d, const rocksdb::ReadOptions& ro, const BlockBatch& batch,
                     bool backfill)
    : d_(d),
      ro_(ro),
      batch_(batch),
      backfill_(backfill),
      block_(batch.first),
      ranked_(d, ro, batch.first) {}

ApplyResult ApplyPlan::run(Writes& wb, Totals& totals) {
    index();
    read_balances();
    rank_tokens();
    rank_pairs();
    write_transfers(wb);
    if (backfill_) {
        chain_.merge(d_, ro_, wb, d_.cursor(ro_).value_or(Cursor{}).block_num);
    } else {
        chain_.write(d_, ro_, wb, batch_.first, batch_.last.block_num);
    }
    write_block_times(wb);
    totals.transfers += transfers_;
    write_holders(wb);
    return write_tokens(wb, totals);
}

// Step 1.
void ApplyPlan::index() {
    const size_t n = batch_.transfers.size();
    pairs_.reserve(n);
    size_t slots = 16;
    while (slots < n * 8) slots <<= 1;
    pair_slots_.assign(slots, kNone);
    slot_mask_ = slots - 1;
    transfer_tokens_.reserve(n);
    transfer_pairs_.reserve(n * 2);
    for (const Transfer& t : batch_.transfers) {
        if (t.block_num < batch_.first || t.block_num > batch_.last.block_num) {
            throw StoreError("apply: transfer outside the batch's blocks");
        }
        const uint32_t te = token_of(t);
        transfer_tokens_.push_back(te);
        transfer_pairs_.push_back(!t.from.is_zero() ? pair_of(t.token, te, t.from) : kNone);
        transfer_pairs_.push_back(!t.to.is_zero() ? pair_of(t.token, te, t.to) : kNone);
    }
}

uint32_t ApplyPlan::token_of(const Transfer& t) {
    auto [it, added] = token_index_.try_emplace(t.token, static_cast<uint32_t>(tokens_.size()));
    if (!added) return it->second;
    auto loaded = d_.stats(ro_, t.token);
    if (backfill_ && loaded && loaded->last_block >= batch_.first) {
        throw StoreError(
            "apply_backfill: a token of the batch already has transfers at or after block " +
            std::to_string(batch_.first) + " in " + d_.path);
    }
    TokenStats now = loaded.value_or(TokenStats{});
    if (!loaded) now.first_block = t.block_num;
    const uint64_t previous = loaded ? loaded->last_block + 1 : 0;
    tokens_.push_back(
        TokenEntry{t.token, loaded, now, now.holders, now.negative_balances, kNoBlock, previous});
    return it->second;
}

uint32_t ApplyPlan::pair_of(const Address& token, uint32_t token_entry, const Address& holder) {
    for (size_t slot = pair_hash(token, holder) & slot_mask_;; slot = (slot + 1) & slot_mask_) {
        const uint32_t i = pair_slots_[slot];
        if (i == kNone) {
            pair_slots_[slot] = static_cast<uint32_t>(pairs_.size());
            pairs_.push_back(PairEntry{token, holder, token_entry, 0, 0, kNoBlock, 0, 0, {}, {}});
            return pair_slots_[slot];
        }
        if (pairs_[i].holder == holder && pairs_[i].token == token) return i;
    }
}

// Step 2: one MultiGet per chunk of the sorted keys.
void ApplyPlan::read_balances() {
    if (pairs_.empty()) return;
    std::vector<std::pair<std::array<uint8_t, kPairKeySize>, uint32_t>> keys(
        pairs_.size());  // bytewise order
    for (uint32_t i = 0; i < pairs_.size(); ++i) {
        std::memcpy(keys[i].first.data(), pairs_[i].token.bytes.data(), kAddressSize);
        std::memcpy(keys[i].first.data() + kAddressSize, pairs_[i].holder.bytes.data(),
                    kAddressSize);
        keys[i].second = i;
    }
    std::sort(keys.begin(), keys.end());
    constexpr size_t kChunk = 4096;
    std::vector<rocksdb::Slice> slices(std::min(kChunk, keys.size()));
    std::vector<rocksdb::PinnableSlice> values(slices.size());
    std::vector<rocksdb::Status> statuses(slices.size());
    for (size_t at = 0; at < keys.size(); at += kChunk) {
        const size_t n = std::min(kChunk, keys.size() - at);
        for (size_t i = 0; i < n; ++i) {
            slices[i] = rocksdb::Slice(reinterpret_cast<const char*>(keys[at + i].first.data()),
                                       kPairKeySize);
        }
        d_.db->MultiGet(ro_, d_.cf(kCfBalances), n, slices.data(), values.data(), statuses.data(),
                        true);
        for (size_t i = 0; i < n; ++i) {
            PairEntry& e = pairs_[keys[at + i].second];
            if (!statuses[i].IsNotFound()) {
                check(statuses[i], "read balances");
                e.stored = decoded(decode_balance_row(view_of(values[i])), kCfBalances,
                                   view_of(slices[i]), d_.path);
            }
            e.before = e.now = e.stored.balance;
            e.flushed = e.stored;
            values[i].Reset();
        }
    }
}

// Step 3. A family keyed `token | chain position` is in (token rank,
// transfer index) order, one keyed `account | chain position` in (account
// rank, transfer index) order, and balance history in (pair rank, block) order.
void ApplyPlan::rank_tokens() {
    std::vector<uint32_t> order(tokens_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return tokens_[a].token < tokens_[b].token; });
    token_rank_.resize(tokens_.size());
    for (uint32_t r = 0; r < order.size(); ++r) token_rank_[order[r]] = r;
}

void ApplyPlan::rank_pairs() {
    // Integer sort keys: the token's rank, the holder as big-endian words.
    struct PairOrder {
        uint64_t h0, h1;
        uint32_t h2, token, index;
    };
    std::vector<PairOrder> order(pairs_.size());
    for (uint32_t i = 0; i < order.size(); ++i) {
        const uint8_t* h = pairs_[i].holder.bytes.data();
        order[i] = PairOrder{load_be64(h), load_be64(h + 8), load_be32(h + 16),
                             token_rank_[pairs_[i].token_entry], i};
    }
    auto same_holder = [](const PairOrder& a, const PairOrder& b) {
        return a.h0 == b.h0 && a.h1 == b.h1 && a.h2 == b.h2;
    };
    std::sort(order.begin(), order.end(), [](const PairOrder& a, const PairOrder& b) {
        return std::tie(a.token, a.h0, a.h1, a.h2) < std::tie(b.token, b.h0, b.h1, b.h2);
    });
    for (uint32_t r = 0; r < order.size(); ++r) pairs_[order[r].index].rank = r;
    std::sort(order.begin(), order.end(), [](const PairOrder& a, const PairOrder& b) {
        return std::tie(a.h0, a.h1, a.h2) < std::tie(b.h0, b.h1, b.h2);
    });
    uint32_t account = 0;
    for (size_t i = 0; i < order.size(); ++i) {
        if (i > 0 && !same_holder(order[i - 1], order[i])) ++account;
        pairs_[order[i].index].account_rank = account;
    }
}

// Step 4.
void ApplyPlan::write_transfers(Writes& wb) {
    const size_t n = batch_.transfers.size();
    wb.reserve(kCfTransfers, n, kTransferValueMaxSize);
    wb.reserve(kCfTokenTransfers, n, kIndexKeySize);
    wb.reserve(kCfAccountTransfers, n * 2, kIndexKeySize + 1);
    wb.reserve(kCfBalanceHistory, n * 2, kHistoryKeySize + 12);
    for (size_t k = 0; k < n; ++k) {
        const Transfer& t = batch_.transfers[k];
        if (t.block_num != block_) {
            flush_history(wb);
            block_ = t.block_num;
        }
        write_index_rows(wb, k, t);
        count(k, t);
    }
    flush_history(wb);
}

// The transfer's row and its token and account index rows.
void ApplyPlan::write_index_rows(Writes& wb, size_t k, const Transfer& t) {
    KeyBuf key;
    const uint32_t from_pair = transfer_pairs_[2 * k];
    const uint32_t to_pair = transfer_pairs_[2 * k + 1];
    encode_transfer_value(t, value_);
    wb.Put(kCfTransfers, key.transfer(t.block_num, t.log_index), value_, k);
    wb.Put(kCfTokenTransfers, key.prefixed(t.token, t.block_num, t.log_index), {},
           Writes::ordered(token_rank_[transfer_tokens_[k]], k));
    auto account_row = [&](const Address& account, uint32_t pair, Direction d) {
        if (pair == kNone) return;  // the zero address is not indexed
        wb.Put(kCfAccountTransfers, key.prefixed(account, t.block_num, t.log_index),
               direction_value(d), Writes::ordered(pairs_[pair].account_rank, k));
    };
    if (t.from == t.to) {
        account_row(t.from, from_pair, Direction::kBoth);
    } else {
        account_row(t.from, from_pair, Direction::kOut);
        account_row(t.to, to_pair, Direction::kIn);
    }
}

// The token's counters and the pairs' balances.
void ApplyPlan::count(size_t k, const Transfer& t) {
    const uint32_t from_pair = transfer_pairs_[2 * k];
    const uint32_t to_pair = transfer_pairs_[2 * k + 1];
    TokenEntry& e = tokens_[transfer_tokens_[k]];
    if (e.dirty_block != block_) {
        e.dirty_block = block_;
        dirty_tokens_.push_back(transfer_tokens_[k]);
    }
    TokenStats& s = e.now;
    s.transfers += 1;
    s.last_block = t.block_num;
    transfers_ += 1;
    if (!t.from.is_zero() && !t.to.is_zero() && t.value == 0) return;
    const Balance v = static_cast<Balance>(t.value);
    if (t.from.is_zero()) s.minted += v;
    if (t.to.is_zero()) s.burned += v;
    if (t.value != 0 && from_pair != kNone) {
        pairs_[from_pair].now -= v;
        touch(from_pair);
    }
    if (t.value != 0 && to_pair != kNone) {
        pairs_[to_pair].now += v;
        touch(to_pair);
    }
}

void ApplyPlan::touch(uint32_t pair) {
    if (pairs_[pair].dirty_block != block_) {
        pairs_[pair].dirty_block = block_;
        dirty_.push_back(pair);
    }
}

// One history row per pair the block touched, with its balance at the end,
// and its ranked_history entries.
void ApplyPlan::flush_history(Writes& wb) {
    KeyBuf key;
    for (uint32_t i : dirty_) {
        PairEntry& p = pairs_[i];
        char value_buf[kMaxBalanceBytes];
        wb.Put(kCfBalanceHistory, key.history(p.token, p.holder, block_),
               rocksdb::Slice(value_buf, encode_balance(p.now, value_buf)),
               Writes::ordered(p.rank, 0));
        ranked_.change(wb, p.token, p.holder, p.flushed, p.now, block_);
        TokenEntry& e = tokens_[p.token_entry];
        e.holders +=
            static_cast<uint64_t>(p.now > 0) - static_cast<uint64_t>(p.flushed.balance > 0);
        e.negative_balances +=
            static_cast<uint64_t>(p.now < 0) - static_cast<uint64_t>(p.flushed.balance < 0);
        p.flushed = BalanceRow{p.now, block_};
    }
    dirty_.clear();
    flush_token_blocks(wb);
}

// The stats of each token the block moved, as at its end.
void ApplyPlan::flush_token_blocks(Writes& wb) {
    chain_.add_transfers(block_, transfers_ - flushed_transfers_);
    flushed_transfers_ = transfers_;
    for (uint32_t i : dirty_tokens_) {
        TokenEntry& e = tokens_[i];
        chain_.add(block_, e.previous);
        e.previous = block_ + 1;
        TokenStats s = e.now;
        s.holders = e.holders;
        s.negative_balances = e.negative_balances;
        s.last_block = block_;
        KeyBuf key;
        encode_stats(s, value_);
        wb.Put(kCfTokenBlocks, slice(key.token_block(e.token, block_)), slice(value_),
               Writes::ordered(token_rank_[i], block_ - batch_.first));
    }
    dirty_tokens_.clear();
}

// Step 5.
void ApplyPlan::write_block_times(Writes& wb) const {
    KeyBuf key;
    for (const auto& [n, ts] : batch_.block_times)
        wb.Put(kCfBlockTimes, key.block(n), encode_block_time(ts), n);
}

// Step 6.
void ApplyPlan::write_holders(Writes& wb) {
    for (const PairEntry& p : pairs_) {
        d_.write_balance_change(wb, p.token, p.holder, p.stored, p.flushed,
                                tokens_[p.token_entry].now, Writes::ordered(p.rank, 0),
                                Writes::ordered(p.account_rank, token_rank_[p.token_entry]));
    }
}

// Step 7.
ApplyResult ApplyPlan::write_tokens(Writes& wb, Totals& totals) {
    ApplyResult result;
    result.transfers = transfers_;
    std::sort(tokens_.begin(), tokens_.end(),
              [](const TokenEntry& a, const TokenEntry& b) { return a.token < b.token; });
    for (const TokenEntry& e : tokens_) {
        d_.write_stats(wb, e.token, e.before, e.now);
        result.touched_tokens.push_back(e.token);
        if (!e.before) {
            result.new_tokens.push_back(e.token);
            totals.tokens += 1;
        }
    }
    ranked_.finish(wb);
    return result;
}

}  // namespace erc20::storage
