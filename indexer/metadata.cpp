#include "indexer/metadata.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/metrics.hpp"
#include "rpc/abi.hpp"

namespace erc20::indexer {

namespace {

constexpr BlockNum kAll = ~BlockNum{0};  // rolled_back_: every block was undone
constexpr size_t kMaxScan = 4096;        // queue rows one claim looks at, at most, per page
constexpr size_t kScanChunk = 10'000;    // tokens queued per write by a scan

uint64_t now_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// Waits `d` or until a stop; false on a stop.
bool sleep_for(const std::stop_token& stop, std::chrono::steady_clock::duration d) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
    return !stop.stop_requested();
}

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void count_metric(const char* name, const char* help, const char* labels = "") {
    metrics::registry().inc(name, help, labels);
}

}  // namespace

MetadataWorker::MetadataWorker(const rpc::ClientOptions& rpc, storage::Store& store,
                               MetadataOptions options)
    : store_(store),
      options_(options),
      per_request_(std::max<size_t>(1, options.tokens_per_request)) {
    for (unsigned i = 0; i < std::max(1u, options_.connections); ++i)
        clients_.push_back(std::make_unique<rpc::Client>(rpc));
    threads_.emplace_back([this](const std::stop_token& stop) { housekeeping(stop); });
    for (auto& c : clients_) {
        threads_.emplace_back(
            [this, client = c.get()](const std::stop_token& stop) { connection(stop, *client); });
    }
}

MetadataWorker::~MetadataWorker() {
    for (auto& t : threads_) t.request_stop();
    wake_.notify_all();
    housekeeping_wake_.notify_all();
    threads_.clear();  // joins, before the clients go
}

void MetadataWorker::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    wake_.notify_all();
}

void MetadataWorker::rolled_back(std::optional<BlockNum> to) {
    {
        std::lock_guard lock(mutex_);
        const BlockNum b = to ? *to : kAll;
        // kAll sorts above every block but means "below all of them".
        if (!rolled_back_ || b == kAll || (*rolled_back_ != kAll && b < *rolled_back_))
            rolled_back_ = b;
    }
    housekeeping_wake_.notify_all();
    wake();
}

// Fills the queue of a database that never had one, handles rollbacks, and
// keeps the queue's gauge.
void MetadataWorker::housekeeping(const std::stop_token& stop) {
    // A rollback while no daemon ran (an admin command on the database): its
    // undone readings are found by a scan, which a queue never filled needs anyway.
    const auto rollback = store_.metadata_rollback();
    if (!store_.metadata_queue_filled() || rollback) {
        scan(!store_.metadata_queue_filled());
    } else {
        const auto cursor = store_.cursor();
        std::lock_guard lock(recent_mutex_);
        covered_from_ =
            cursor ? cursor->block_num + 1 : 0;  // readings of before the start: unknown
    }
    if (rollback) store_.clear_metadata_rollback(*rollback);
    wake();
    while (!stop.stop_requested()) {
        metrics::registry().set("erc20_metadata_queue_tasks",
                                "tokens whose metadata or totalSupply is to be fetched (estimate)",
                                "", store_.metadata_queue_estimate());
        std::optional<BlockNum> rolled_back;
        {
            std::unique_lock lock(mutex_);
            housekeeping_wake_.wait_for(lock, stop, std::chrono::seconds(5),
                                        [&] { return rolled_back_.has_value(); });
            if (stop.stop_requested()) return;
            std::swap(rolled_back, rolled_back_);
        }
        if (!rolled_back) continue;
        if (!forget_readings_above(*rolled_back)) scan(false);
        store_.clear_metadata_rollback(*rolled_back == kAll ? 0 : *rolled_back);
        wake();
    }
}

// Queues what the database says is not current: no metadata, a reading of
// unknown block or off the indexed chain, or one older than the token's last
// transfer. Readings of the recent blocks are remembered for later
// rollbacks. `fill`: the queue is then complete (metadata_queue_filled).
void MetadataWorker::scan(bool fill) {
    const auto t0 = std::chrono::steady_clock::now();
    count_metric("erc20_metadata_scans_total",
                 "scans of every token for missing or stale metadata");
    auto view = store_.view();
    const auto cursor = view.cursor();
    const BlockNum head = cursor ? cursor->block_num : 0;
    std::vector<Address> fresh, stale;
    size_t fresh_total = 0, stale_total = 0;
    std::lock_guard lock(recent_mutex_);
    recent_.clear();
    recent_count_ = 0;
    covered_from_ = head >= kRecentBlocks ? head - kRecentBlocks : 0;
    auto flush = [&](std::vector<Address>& tokens, bool full, size_t& total) {
        total += tokens.size();
        store_.queue_metadata(tokens, full);
        tokens.clear();
    };
    view.for_each_token([&](const Address& t, const storage::TokenStats& s,
                            const std::optional<storage::TokenMeta>& m) {
        if (!m) fresh.push_back(t);
        else if (!m->supply_hash || s.last_block > m->supply_block)
            stale.push_back(t);
        else if (m->supply_block >= covered_from_)
            remember(m->supply_block, t);
        if (fresh.size() >= kScanChunk) flush(fresh, true, fresh_total);
        if (stale.size() >= kScanChunk) flush(stale, false, stale_total);
    });
    flush(fresh, true, fresh_total);
    stale_total += stale.size();
    store_.queue_metadata(stale, false, fill);
    spdlog::info("metadata: {} tokens to fetch, {} supplies to read again (scan of {:.1f} s)",
                 fresh_total, stale_total,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// Records a reading at `block`. REQUIRES: recent_mutex_ held.
void MetadataWorker::remember(BlockNum block, const Address& token) {
    if (block < covered_from_) return;
    recent_[block].push_back(token);
    ++recent_count_;
    while (recent_count_ > kMaxRecent) {
        covered_from_ = recent_.begin()->first + 1;
        recent_count_ -= recent_.begin()->second.size();
        recent_.erase(recent_.begin());
    }
}

// A rollback to `to`: readings above it are on undone blocks; queues those
// tokens again. False when the rollback is deeper than what recent_ holds:
// the database must be scanned.
bool MetadataWorker::forget_readings_above(BlockNum to) {
    std::vector<Address> again;
    {
        std::lock_guard lock(recent_mutex_);
        if (to == kAll || to + 1 < covered_from_) return false;
        for (auto it = recent_.upper_bound(to); it != recent_.end(); it = recent_.erase(it)) {
            again.insert(again.end(), it->second.begin(), it->second.end());
            recent_count_ -= it->second.size();
        }
    }
    store_.queue_metadata(again, false);
    return true;
}

// Up to per_request_ due tasks from the queue, after the last claim's.
MetadataWorker::Tasks MetadataWorker::claim() {
    std::lock_guard lock(mutex_);
    const size_t limit = per_request_.load();
    Tasks out;
    bool wrapped = false;
    for (int pages = 0; pages < 8 && out.size() < limit; ++pages) {
        auto page = store_.metadata_tasks(position_, limit - out.size(), now_ms(), kMaxScan);
        for (const auto& t : page.due) {
            if (in_flight_.insert({t.full, t.token}).second) out.push_back(t);
        }
        const bool at_start = !position_;
        position_ = page.next;
        if (page.next) continue;
        // The end of the queue: once more from its start, unless this page began there.
        if (wrapped || at_start) break;
        wrapped = true;
    }
    return out;
}

void MetadataWorker::release(const Tasks& tasks) {
    std::lock_guard lock(mutex_);
    for (const auto& t : tasks) in_flight_.erase({t.full, t.token});
}

// One connection: claims due tasks and makes their calls, until a stop.
void MetadataWorker::connection(const std::stop_token& stop, rpc::Client& client) {
    auto backoff = std::chrono::milliseconds(200);
    while (!stop.stop_requested()) {
        if (!sleep_for(stop, paused_for())) return;  // a Retry-After holds every connection
        Tasks tasks;
        try {
            tasks = claim();
        } catch (const storage::StoreError& e) {
            spdlog::debug("metadata: {}", e.what());
        }
        Tasks full, supply;
        for (const auto& t : tasks) (t.full ? full : supply).push_back(t);
        auto asked_full = fetch(client, full, true);
        // After a failed batch the node is not asked again before the wait below.
        auto asked_supply = asked_full ? fetch(client, supply, false) : std::nullopt;
        release(tasks);
        if (asked_full && asked_supply && *asked_full + *asked_supply == 0) {
            // Nothing due that can be asked now: wait for a write or a second.
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, std::chrono::seconds(1), [&] { return woken_; });
            woken_ = false;
            continue;
        }
        if (asked_full && asked_supply) {
            backoff = std::chrono::milliseconds(200);
            continue;
        }
        // The node failed the batch: no token's fault. Wait, then ask again.
        if (!sleep_for(stop, std::max<std::chrono::steady_clock::duration>(backoff, paused_for())))
            return;
        backoff = std::min(backoff * 2, options_.max_backoff);
    }
}

// One batch request of each token's calls (totalSupply, then name, symbol,
// decimals when full) at `at`, for the tasks `which`, into `answers`.
// False when the batch itself failed.
bool MetadataWorker::call_at(rpc::Client& client, const Tasks& tasks,
                             const std::vector<size_t>& which, bool full, const rpc::BlockId& at,
                             Answers& answers) {
    const size_t per = full ? 4 : 1;
    std::vector<std::pair<Address, std::vector<uint8_t>>> calls;
    calls.reserve(which.size() * per);
    for (size_t i : which) {
        calls.emplace_back(tasks[i].token, rpc::selector_total_supply());
        if (full) {
            calls.emplace_back(tasks[i].token, rpc::selector_name());
            calls.emplace_back(tasks[i].token, rpc::selector_symbol());
            calls.emplace_back(tasks[i].token, rpc::selector_decimals());
        }
    }
    auto answer = client.call_batch(calls, at);
    if (!answer) {
        spdlog::debug("metadata: batch of {} calls failed: {}", calls.size(),
                      answer.error().to_string());
        if (answer.error().kind == rpc::RpcError::Kind::kTimeout)
            per_request_.store(std::max<size_t>(1, per_request_.load() / 2));
        if (auto ms = answer.error().retry_after_ms) pause(*ms);
        return false;
    }
    for (size_t k = 0; k < which.size(); ++k) {
        for (size_t j = 0; j < per; ++j)
            answers[which[k] * per + j] = std::move(answer.value()[k * per + j]);
    }
    return true;
}

// Every task's calls at the indexed block by hash; those the node cannot
// answer there again at its latest block. Per task, where its calls ran;
// nullopt when nothing could be asked.
std::optional<std::vector<MetadataWorker::At>> MetadataWorker::call_all(rpc::Client& client,
                                                                        const Tasks& tasks,
                                                                        bool full,
                                                                        Answers& answers) {
    const size_t per = full ? 4 : 1;
    const auto cursor = store_.cursor();
    if (!cursor) return std::nullopt;  // nothing applied (a rollback of everything): later
    std::vector<At> at(tasks.size(), At{cursor->block_num, cursor->hash, false});
    answers.assign(tasks.size() * per, rpc::RpcError{});
    std::vector<size_t> all(tasks.size()), unavailable;
    for (size_t i = 0; i < tasks.size(); ++i) all[i] = i;
    if (cursor->hash == Hash{}) {
        unavailable = all;  // a rewind to a block whose hash nobody had
    } else {
        if (!call_at(client, tasks, all, full, rpc::BlockId(cursor->hash), answers))
            return std::nullopt;
        for (size_t i = 0; i < tasks.size(); ++i) {
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
    auto latest = client.header("latest");
    if (!latest || !*latest) return at;  // those calls stay failed: retried later
    const At fallback{(*latest)->block_num, (*latest)->hash, true};
    if (call_at(client, tasks, unavailable, full, rpc::BlockId(fallback.hash), answers)) {
        for (size_t i : unavailable) at[i] = fallback;
    }
    return at;
}

// The node asked for `ms` of quiet (Retry-After): no connection asks before
// then. Rate limits are per client key, not per connection.
void MetadataWorker::pause(int64_t ms) {
    const int64_t until = steady_ms() + ms;
    int64_t now = paused_until_ms_.load();
    while (now < until && !paused_until_ms_.compare_exchange_weak(now, until)) {}
}

std::chrono::milliseconds MetadataWorker::paused_for() const {
    return std::chrono::milliseconds(std::max<int64_t>(0, paused_until_ms_.load() - steady_ms()));
}

// A failed round of one token's calls: asked again after a wait that
// doubles with each round.
void MetadataWorker::retry_later(const storage::MetadataTask& task) {
    storage::MetadataTask again = task;
    again.attempts = static_cast<uint8_t>(std::min<unsigned>(task.attempts + 1u, 255u));
    const auto wait = options_.first_retry * (int64_t{1} << std::min(task.attempts, uint8_t{20}));
    again.not_before_ms = now_ms() + static_cast<uint64_t>(wait.count());
    count_metric("erc20_metadata_retries_total",
                 "token metadata calls that failed and wait to be retried");
    try {
        store_.retry_metadata_task(again);
    } catch (const storage::StoreError& e) {
        spdlog::debug("metadata: {}", e.what());  // the task stays as it was: due again
    }
}

// The calls of `tasks` (of one kind): how many were asked; nullopt when the
// node failed the batch (the tasks stay queued as they were).
std::optional<size_t> MetadataWorker::fetch(rpc::Client& client, const Tasks& tasks, bool full) {
    if (tasks.empty()) return 0;
    Tasks asked;
    auto view = store_.view();
    for (const auto& t : tasks) {
        if (!view.token_stats(t.token)) {
            store_.drop_metadata_task(t);  // removed by a rollback
        } else if (full || view.token_meta(t.token)) {
            asked.push_back(t);
        }  // else a totalSupply task of a token not fetched yet: it waits for the full one
    }
    if (asked.empty()) return 0;
    Answers answers;
    auto at = call_all(client, asked, full, answers);
    if (!at) return std::nullopt;
    const size_t per = full ? 4 : 1;
    for (size_t i = 0; i < asked.size(); ++i) store(asked[i], full, (*at)[i], answers, i * per);
    if (per_request_.load() < options_.tokens_per_request) per_request_.fetch_add(1);
    // Keep what a rollback may have to undo, no further back than kRecentBlocks.
    if (auto cursor = store_.cursor(); cursor && cursor->block_num > kRecentBlocks) {
        const BlockNum floor = cursor->block_num - kRecentBlocks;
        std::lock_guard lock(recent_mutex_);
        for (auto it = recent_.begin(); it != recent_.end() && it->first < floor;
             it = recent_.erase(it))
            recent_count_ -= it->second.size();
        covered_from_ = std::max(covered_from_, floor);
    }
    return asked.size();
}

// Writes one token's answers (from answers[first]) read at `at`, which ends
// its task; or queues it again on a failed call.
void MetadataWorker::store(const storage::MetadataTask& task, bool full, const At& at,
                           const Answers& answers, size_t first) {
    // Only a revert or an answer gives a value (or null); other failures retry later.
    bool retry = false;
    auto bytes = [&](size_t k) -> std::optional<std::vector<uint8_t>> {
        const auto& r = answers[first + k];
        if (r.ok()) return r.value();
        // A revert means the token has no such function: null. Anything
        // else (an internal error of the node, a timeout) is asked again
        // on later rounds, and taken as null after max_attempts.
        if (r.error().kind != rpc::RpcError::Kind::kReverted) retry = true;
        return std::nullopt;
    };
    storage::TokenMeta meta;
    if (!full) {
        auto existing = store_.view().token_meta(task.token);
        if (!existing) return;  // removed by a reorg meanwhile; its task waits for the token
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
    try {
        if (retry && task.attempts + 1u < options_.max_attempts) {
            retry_later(task);
            return;
        }
        if (retry) {
            count_metric("erc20_metadata_given_up_total",
                         "tokens whose calls failed max_attempts rounds: taken as null");
            if (!full) {  // keep the last good totalSupply
                store_.drop_metadata_task(task);
                return;
            }
            meta.supply_hash.reset();  // a new token's row without a reading
        }
        std::lock_guard lock(recent_mutex_);
        // False: the block it was read at was undone meanwhile; the task stays, asked again.
        if (!store_.put_token_meta(task.token, meta, full)) return;
        if (meta.supply_hash) remember(at.num, task.token);
    } catch (const storage::StoreError& e) {
        // A full or read-only disk: the ingestion thread reports it; the task stays.
        spdlog::debug("metadata: {}", e.what());
        return;
    }
    count_metric("erc20_metadata_written_total", "token metadata rows written, by kind",
                 full ? "kind=\"full\"" : "kind=\"supply\"");
    spdlog::debug("metadata: {} totalSupply {} at block {} ({}{})", to_hex(task.token),
                  meta.total_supply ? to_dec_string(*meta.total_supply) : std::string("null"),
                  at.num, to_hex(at.hash), at.fallback ? ", the node's latest" : "");
}

}  // namespace erc20::indexer
