#include "indexer/metadata.hpp"

#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "rpc/abi.hpp"

namespace erc20::indexer {

namespace {
constexpr BlockNum kAll = ~BlockNum{0};  // rolled_back_: every block was undone
}

MetadataWorker::MetadataWorker(rpc::ClientOptions rpc, storage::Store& store)
    : client_(std::move(rpc)), store_(store) {
    thread_ = std::jthread([this](const std::stop_token& stop) { loop(stop); });
}

MetadataWorker::~MetadataWorker() {
    thread_.request_stop();
    wake_.notify_all();
}

void MetadataWorker::add_new(const std::vector<Address>& tokens) {
    if (tokens.empty()) return;
    {
        std::lock_guard lock(mutex_);
        new_.insert(tokens.begin(), tokens.end());
    }
    wake_.notify_all();
}

void MetadataWorker::add_touched(const std::vector<Address>& tokens) {
    if (tokens.empty()) return;
    {
        std::lock_guard lock(mutex_);
        touched_.insert(tokens.begin(), tokens.end());
    }
    wake_.notify_all();
}

void MetadataWorker::rolled_back(std::optional<BlockNum> to, const std::vector<Address>& touched) {
    {
        std::lock_guard lock(mutex_);
        touched_.insert(touched.begin(), touched.end());
        const BlockNum b = to ? *to : kAll;
        // kAll sorts above every block but means "below all of them".
        if (!rolled_back_ || b == kAll || (*rolled_back_ != kAll && b < *rolled_back_))
            rolled_back_ = b;
    }
    wake_.notify_all();
}

// Queues what the database says is not current: no metadata, a reading of
// unknown block or off the indexed chain, or one older than the token's last
// transfer (its refresh was queued when a crash or stop came). Readings of
// the recent blocks are remembered for later rollbacks.
void MetadataWorker::scan() {
    const auto t0 = std::chrono::steady_clock::now();
    auto view = store_.view();
    const auto cursor = view.cursor();
    const BlockNum head = cursor ? cursor->block_num : 0;
    std::set<Address> fresh, stale;
    recent_.clear();
    covered_from_ = head >= kRecentBlocks ? head - kRecentBlocks : 0;
    view.for_each_token([&](const Address& t, const storage::TokenStats& s,
                            const std::optional<storage::TokenMeta>& m) {
        if (!m) fresh.insert(t);
        else if (!m->supply_hash || s.last_block > m->supply_block)
            stale.insert(t);
        else if (m->supply_block >= covered_from_)
            recent_[m->supply_block].push_back(t);
    });
    spdlog::info("metadata: {} tokens to fetch, {} supplies to read again (scan of {:.1f} s)",
                 fresh.size(), stale.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::lock_guard lock(mutex_);
    new_.insert(fresh.begin(), fresh.end());
    touched_.insert(stale.begin(), stale.end());
}

// A rollback to `to`: readings above it are on undone blocks; queues those
// tokens again. False when the rollback is deeper than what recent_ holds:
// the database must be scanned.
bool MetadataWorker::forget_readings_above(BlockNum to) {
    if (to == kAll || to + 1 < covered_from_) return false;
    std::vector<Address> again;
    for (auto it = recent_.upper_bound(to); it != recent_.end(); it = recent_.erase(it)) {
        again.insert(again.end(), it->second.begin(), it->second.end());
    }
    std::lock_guard lock(mutex_);
    touched_.insert(again.begin(), again.end());
    return true;
}

void MetadataWorker::loop(const std::stop_token& stop) {
    using namespace std::chrono_literals;
    while (!stop.stop_requested()) {
        std::vector<Address> fresh, touched;
        std::optional<BlockNum> rolled_back;
        bool rescan = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, 2s, [&] {
                return scan_ || rolled_back_ || !new_.empty() || !touched_.empty();
            });
            if (stop.stop_requested()) return;
            std::swap(rolled_back, rolled_back_);
            std::swap(rescan, scan_);
        }
        if (rolled_back && !forget_readings_above(*rolled_back)) rescan = true;
        if (rescan) scan();
        {
            std::lock_guard lock(mutex_);
            // Failed calls are asked again every few seconds, not at once.
            auto now = std::chrono::steady_clock::now();
            if (now - last_retry_ >= 3s) {
                new_.insert(retry_new_.begin(), retry_new_.end());
                touched_.insert(retry_touched_.begin(), retry_touched_.end());
                retry_new_.clear();
                retry_touched_.clear();
                last_retry_ = now;
            }
            // A few hundred per round keeps each batch request small.
            while (!new_.empty() && fresh.size() < 200) {
                fresh.push_back(*new_.begin());
                touched_.erase(*new_.begin());
                new_.erase(new_.begin());
            }
            while (!touched_.empty() && touched.size() < 200) {
                touched.push_back(*touched_.begin());
                touched_.erase(touched_.begin());
            }
        }
        if (auto now = std::chrono::steady_clock::now(); now < not_before_) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, stop, not_before_ - now, [] { return false; });
            if (stop.stop_requested()) return;
        }
        if (!fresh.empty()) fetch(fresh, true);
        if (!touched.empty()) fetch(touched, false);
    }
}

// One batch request of each token's calls (totalSupply, then name, symbol,
// decimals when full) at `at`, for the tokens `which`, into `answers`.
// False when the batch itself failed.
bool MetadataWorker::call_at(const std::vector<Address>& tokens, const std::vector<size_t>& which,
                             bool full, const rpc::BlockId& at, Answers& answers) {
    const size_t per = full ? 4 : 1;
    std::vector<std::pair<Address, std::vector<uint8_t>>> calls;
    for (size_t i : which) {
        calls.emplace_back(tokens[i], rpc::selector_total_supply());
        if (full) {
            calls.emplace_back(tokens[i], rpc::selector_name());
            calls.emplace_back(tokens[i], rpc::selector_symbol());
            calls.emplace_back(tokens[i], rpc::selector_decimals());
        }
    }
    auto answer = client_.call_batch(calls, at);
    if (!answer) {
        spdlog::debug("metadata: batch of {} calls failed: {}", calls.size(),
                      answer.error().to_string());
        if (auto ms = answer.error().retry_after_ms) {
            not_before_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(*ms);
        }
        return false;
    }
    for (size_t k = 0; k < which.size(); ++k) {
        for (size_t j = 0; j < per; ++j)
            answers[which[k] * per + j] = std::move(answer.value()[k * per + j]);
    }
    return true;
}

// Every token's calls at the indexed block by hash; those the node cannot
// answer there again at its latest block. Per token, where its calls ran;
// nullopt when nothing could be asked.
std::optional<std::vector<MetadataWorker::At>> MetadataWorker::call_all(
    const std::vector<Address>& tokens, bool full, Answers& answers) {
    const size_t per = full ? 4 : 1;
    const auto cursor = store_.cursor();
    if (!cursor) return std::nullopt;
    std::vector<At> at(tokens.size(), At{cursor->block_num, cursor->hash, false});
    answers.assign(tokens.size() * per, rpc::RpcError{});
    std::vector<size_t> all(tokens.size()), unavailable;
    for (size_t i = 0; i < tokens.size(); ++i) all[i] = i;
    if (cursor->hash == Hash{}) {
        unavailable = all;  // a rewind to a block whose hash nobody had
    } else {
        if (!call_at(tokens, all, full, rpc::BlockId(cursor->hash), answers)) return std::nullopt;
        for (size_t i = 0; i < tokens.size(); ++i) {
            for (size_t j = 0; j < per; ++j) {
                const auto& r = answers[i * per + j];
                if (!r.ok() && r.error().kind == rpc::RpcError::Kind::kUnavailable) {
                    unavailable.push_back(i);
                    break;
                }
            }
        }
    }
    if (unavailable.empty()) return at;
    auto latest = client_.header("latest");
    if (!latest || !*latest) return at;  // those calls stay failed: retried later
    const At fallback{(*latest)->block_num, (*latest)->hash, true};
    if (call_at(tokens, unavailable, full, rpc::BlockId(fallback.hash), answers)) {
        for (size_t i : unavailable) at[i] = fallback;
    }
    return at;
}

void MetadataWorker::retry_later(const Address& token, bool full) {
    std::lock_guard lock(mutex_);
    (full ? retry_new_ : retry_touched_).insert(token);
}

void MetadataWorker::fetch(const std::vector<Address>& tokens, bool full) {
    Answers answers;
    auto at = call_all(tokens, full, answers);
    if (!at) {
        for (const auto& t : tokens) retry_later(t, full);
        return;
    }
    const size_t per = full ? 4 : 1;
    for (size_t i = 0; i < tokens.size(); ++i) store(tokens[i], full, (*at)[i], answers, i * per);
    // Keep what a rollback may have to undo, no further back than kRecentBlocks.
    if (auto cursor = store_.cursor(); cursor && cursor->block_num > kRecentBlocks) {
        const BlockNum floor = cursor->block_num - kRecentBlocks;
        recent_.erase(recent_.begin(), recent_.lower_bound(floor));
        covered_from_ = std::max(covered_from_, floor);
    }
}

// Writes one token's answers (from answers[first]) read at `at`.
void MetadataWorker::store(const Address& token, bool full, const At& at, const Answers& answers,
                           size_t first) {
    // Only a revert or an answer gives a value (or null); other failures retry later.
    bool retry = false;
    auto bytes = [&](size_t k) -> std::optional<std::vector<uint8_t>> {
        const auto& r = answers[first + k];
        if (r.ok()) return r.value();
        // A revert means the token has no such function: null. Anything
        // else (an internal error of the node, a timeout) is asked again
        // on later rounds, and taken as null after kMaxAttempts.
        if (r.error().kind != rpc::RpcError::Kind::kReverted) retry = true;
        return std::nullopt;
    };
    auto view = store_.view();
    storage::TokenMeta meta;
    if (!full) {
        auto existing = view.token_meta(token);
        if (!existing) return;  // not fetched yet (or removed by a reorg)
        meta = *existing;
    }
    auto supply = bytes(0);
    meta.total_supply = supply ? rpc::decode_uint256(*supply) : std::nullopt;
    meta.supply_block = at.num;
    meta.supply_hash = at.hash;
    meta.supply_fallback = at.fallback;
    if (full) {
        auto name = bytes(1);
        auto symbol = bytes(2);
        auto decimals = bytes(3);
        meta.name = name ? rpc::decode_string(*name) : std::nullopt;
        meta.symbol = symbol ? rpc::decode_string(*symbol) : std::nullopt;
        meta.decimals = decimals ? rpc::decode_decimals(*decimals) : std::nullopt;
    }
    if (retry && ++attempts_[token] < kMaxAttempts) {
        retry_later(token, full);
        return;
    }
    attempts_.erase(token);
    if (retry && !full) return;            // keep the last good totalSupply
    if (retry) meta.supply_hash.reset();   // no reading: its block is unknown
    if (!view.token_stats(token)) return;  // removed by a reorg meanwhile
    bool written = false;
    try {
        written = store_.put_token_meta(token, meta);
    } catch (const storage::StoreError& e) {
        // A full or read-only disk: the ingestion thread reports it; this
        // row is written on a later round.
        spdlog::debug("metadata: {}", e.what());
    }
    if (!written) {
        // The block it was read at was undone meanwhile, or the write failed: read it again.
        retry_later(token, full);
        return;
    }
    if (meta.supply_hash) recent_[at.num].push_back(token);
    spdlog::debug("metadata: {} totalSupply {} at block {} ({}{})", to_hex(token),
                  meta.total_supply ? to_dec_string(*meta.total_supply) : std::string("null"),
                  at.num, to_hex(at.hash), at.fallback ? ", the node's latest" : "");
    if (full) {
        spdlog::debug("metadata: {} is {} ({})", to_hex(token), meta.symbol.value_or("?"),
                      meta.name.value_or("?"));
    }
}

}  // namespace erc20::indexer
