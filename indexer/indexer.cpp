#include "indexer/indexer.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/keccak.hpp"
#include "common/metrics.hpp"
#include "indexer/extract.hpp"
#include "indexer/metadata.hpp"

namespace erc20::indexer {

const char* to_string(State s) noexcept {
    switch (s) {
        case State::kStarting: return "starting";
        case State::kBackfilling: return "backfilling";
        case State::kFollowing: return "following";
        case State::kReindexing: return "reindexing";
        case State::kError: return "error";
    }
    return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

/// A block range fetched and checked: headers of every block in it, in order,
/// linked by parent hash, and the ERC20 transfers of its logs, each log's
/// blockHash equal to the header of its block.
struct FetchedRange {
    BlockNum from{0};
    BlockNum to{0};
    std::vector<rpc::BlockHeader> headers;
    std::vector<storage::Transfer> transfers;
    size_t log_count{0};  // every log the node returned, ERC20-shaped or not
};

/// Logs one eth_getLogs answer should carry (~6 MB of JSON): ranges are sized
/// to the chain's density so memory stays bounded and progress is steady.
constexpr double kTargetLogsPerRequest = 10'000;
/// First range of a start, before the density is known.
constexpr uint64_t kInitialRange = 10;
/// A backfill writes merged ranges at least this often, so the cursor (and
/// what the API serves) moves on a slow node too.
constexpr auto kMaxBatchAge = std::chrono::seconds(2);

rpc::RpcError inconsistent(std::string message) {
    rpc::RpcError e;
    e.kind = rpc::RpcError::Kind::kMalformed;
    e.message = "inconsistent answer: " + std::move(message);
    return e;
}

constexpr BlockNum kHeadersPerBatch = 200;

rpc::Result<FetchedRange> fetch_range(rpc::Client& client, BlockNum from, BlockNum to,
                                      const std::vector<Address>& tokens) {
    FetchedRange r;
    r.from = from;
    r.to = to;
    auto logs = client.logs(from, to, kTransferTopic, tokens);
    if (!logs) return logs.error();
    r.headers.reserve(to - from + 1);
    for (BlockNum b = from; b <= to; b += kHeadersPerBatch) {
        BlockNum e = std::min(to, b + kHeadersPerBatch - 1);
        auto headers = client.headers(b, e);
        if (!headers) return headers.error();
        for (auto& h : headers.value()) {
            if (!h) return inconsistent("header of a block in [" + std::to_string(b) + ", " +
                                        std::to_string(e) + "] not found yet");
            r.headers.push_back(*h);
        }
    }
    for (size_t i = 0; i < r.headers.size(); ++i) {
        if (r.headers[i].number != from + i) return inconsistent("header numbers out of order");
        if (i > 0 && r.headers[i].parent_hash != r.headers[i - 1].hash) {
            return inconsistent("headers of block " + std::to_string(from + i) + " and its parent do not link");
        }
    }
    r.transfers.reserve(logs->size());
    std::vector<uint32_t> logs_per_block(r.headers.size(), 0);
    auto take = [&](const std::vector<rpc::Log>& batch) -> std::optional<rpc::RpcError> {
        for (const auto& log : batch) {
            if (log.block_num < from || log.block_num > to) return inconsistent("log outside the requested range");
            if (log.removed) return inconsistent("removed log");
            if (log.block_hash != r.headers[log.block_num - from].hash) {
                return inconsistent("log of block " + std::to_string(log.block_num) +
                                    " carries another block hash than its header");
            }
            logs_per_block[log.block_num - from] += 1;
            if (auto t = extract_transfer(log)) r.transfers.push_back(*t);
        }
        return std::nullopt;
    };
    if (auto e = take(logs.value())) return *e;
    r.log_count = logs->size();

    // A block whose bloom may hold Transfer logs (of the wanted tokens) but for
    // which none came back: the node may not have caught up on its logs yet.
    // Ask again; a bloom false positive stays empty and is accepted.
    auto bloom_says_maybe = [&](const rpc::BlockHeader& h) {
        if (!bloom_may_contain(h.logs_bloom, kTransferTopic.bytes)) return false;
        if (tokens.empty()) return true;
        return std::any_of(tokens.begin(), tokens.end(),
                           [&](const Address& a) { return bloom_may_contain(h.logs_bloom, a.bytes); });
    };
    for (size_t i = 0; i < r.headers.size(); ++i) {
        if (logs_per_block[i] != 0 || !bloom_says_maybe(r.headers[i])) continue;
        const BlockNum b = from + i;
        for (int attempt = 1; attempt <= 2; ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(150 * attempt));
            auto again = client.logs(b, b, kTransferTopic, tokens);
            if (!again) return again.error();
            if (again->empty()) continue;
            spdlog::debug("eth_getLogs: block {} had no logs at first, {} on asking again", b, again->size());
            if (auto e = take(again.value())) return *e;
            r.log_count += again->size();
            break;
        }
    }
    std::sort(r.transfers.begin(), r.transfers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.block_num, a.log_index) < std::tie(b.block_num, b.log_index);
    });
    for (size_t i = 1; i < r.transfers.size(); ++i) {
        if (r.transfers[i].block_num == r.transfers[i - 1].block_num &&
            r.transfers[i].log_index == r.transfers[i - 1].log_index) {
            return inconsistent("duplicate log index in block " + std::to_string(r.transfers[i].block_num));
        }
    }
    return r;
}

std::string short_hash(const Hash& h) { return to_hex(h).substr(0, 10); }

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::string format_eta(double seconds) {
    if (seconds < 0 || seconds > 1e8) return "?";
    auto s = static_cast<uint64_t>(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lluh%02llum%02llus", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
    return buf;
}

}  // namespace

std::future<RewindResult> Control::request_rewind(std::optional<BlockNum> to_block, bool reindex) {
    Rewind r;
    r.to_block = to_block;
    r.reindex = reindex;
    auto f = r.done.get_future();
    {
        std::lock_guard lock(mutex_);
        if (!closed_.empty()) {
            r.done.set_exception(std::make_exception_ptr(std::runtime_error(closed_)));
            return f;
        }
        queue_.push_back(std::move(r));
    }
    cv_.notify_all();
    return f;
}

std::future<AddTokensResult> Control::request_add_tokens(std::vector<Address> tokens) {
    AddTokens r;
    r.tokens = std::move(tokens);
    auto f = r.done.get_future();
    {
        std::lock_guard lock(mutex_);
        add_queue_.push_back(std::move(r));
    }
    cv_.notify_all();
    return f;
}

std::optional<Control::AddTokens> Control::take_add_tokens() {
    std::lock_guard lock(mutex_);
    if (add_queue_.empty()) return std::nullopt;
    AddTokens r = std::move(add_queue_.front());
    add_queue_.pop_front();
    return r;
}

std::optional<Control::Rewind> Control::take() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    Rewind r = std::move(queue_.front());
    queue_.pop_front();
    return r;
}

void Control::cancel_all(const std::string& why) {
    std::lock_guard lock(mutex_);
    for (auto& r : queue_) r.done.set_exception(std::make_exception_ptr(std::runtime_error(why)));
    for (auto& r : add_queue_) r.done.set_exception(std::make_exception_ptr(std::runtime_error(why)));
    queue_.clear();
    add_queue_.clear();
    closed_ = why.empty() ? "cancelled" : why;
}

bool Control::pending() {
    std::lock_guard lock(mutex_);
    return !queue_.empty() || !add_queue_.empty();
}

bool Control::wait(std::stop_token& stop, std::chrono::steady_clock::duration d) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, stop, d, [this] { return !queue_.empty() || !add_queue_.empty(); });
    return !stop.stop_requested();
}

RewindResult rewind(storage::Store& store, rpc::Client& client, std::optional<BlockNum> to_block) {
    const auto start = store.cursor();
    RewindResult out;
    out.from_block = start ? start->block_num : 0;
    out.to_block = to_block;
    std::set<Address> touched;
    auto add = [&](const storage::RollbackResult& r) {
        out.transfers_undone += r.transfers_undone;
        out.tokens_removed += r.tokens_removed;
        touched.insert(r.touched_tokens.begin(), r.touched_tokens.end());
    };
    // A deep rewind goes down in atomic steps of at most kRewindStep transfers,
    // so no write batch grows with the depth; readers see the state as of some
    // block at every step. Intermediate cursors keep an unknown (zero) hash.
    constexpr size_t kRewindStep = 500'000;
    const BlockNum floor = to_block.value_or(0);
    for (auto cur = start; cur && cur->block_num > floor; cur = store.cursor()) {
        const BlockNum step = store.rollback_step(floor, kRewindStep);
        if (step <= floor) break;
        auto r = store.rollback(storage::Cursor{step, Hash{}});
        add(r);
        spdlog::info("rewind: block {} -> {} ({} transfers undone), going on", r.from_block, step, r.transfers_undone);
    }
    std::optional<storage::Cursor> to;
    if (to_block) {
        to = storage::Cursor{*to_block, Hash{}};
        if (auto h = store.header(*to_block)) {
            to->hash = h->hash;
        } else if (auto node = client.header(*to_block); node && *node) {
            to->hash = (*node)->hash;
        }
    }
    add(store.rollback(to));
    out.touched_tokens.assign(touched.begin(), touched.end());
    if (!to_block || out.from_block > *to_block) {
        spdlog::info("rewind: from block {} to {}, {} transfers undone, {} tokens removed", out.from_block,
                     to_block ? std::to_string(*to_block) : std::string("before the first block"),
                     out.transfers_undone, out.tokens_removed);
    }
    return out;
}

AddTokensResult begin_add_tokens(storage::Store& store, std::vector<Address> tokens) {
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    if (tokens.empty()) throw AddTokensRefused("add-tokens needs at least one token");
    const auto scope = store.scope();
    if (!scope) {
        throw AddTokensRefused("the database has no stored --tokens filter yet: start the daemon on it once");
    }
    if (scope->tokens.empty()) {
        throw AddTokensRefused("the database indexes every token (it was built without --tokens): nothing to add");
    }
    if (auto job = store.token_backfill()) {
        throw AddTokensRefused("an add-tokens of " + to_hex_list(job->tokens) + " is in progress (at block " +
                               std::to_string(job->next_block) + "): wait for it to finish");
    }
    std::vector<Address> already;
    std::set_intersection(tokens.begin(), tokens.end(), scope->tokens.begin(), scope->tokens.end(),
                          std::back_inserter(already));
    if (!already.empty()) {
        throw AddTokensRefused("already indexed (in the stored --tokens): " + to_hex_list(already));
    }
    store.begin_token_backfill(storage::TokenBackfill{tokens, scope->start_block});
    const auto cursor = store.cursor();
    spdlog::info("add-tokens: {} from block {} to {}, then followed", to_hex_list(tokens), scope->start_block,
                 cursor ? std::to_string(cursor->block_num) : std::string("the cursor"));
    AddTokensResult out{std::move(tokens), scope->start_block, std::nullopt};
    if (cursor) out.to_block = cursor->block_num;
    return out;
}

/// Thrown out of a retry loop when an admin request waits; caught at the top
/// of the ingestion loop.
struct Interrupted {};

struct Indexer::Impl {
    std::atomic<bool> cancel{false};  // set on stop: aborts RPC calls in flight
    IndexerOptions options;
    storage::Store& store;
    LiveStatus& status;
    Control& control;
    std::optional<BlockNum> reindex_until;
    std::vector<std::unique_ptr<rpc::Client>> clients;
    std::unique_ptr<MetadataWorker> metadata;
    uint64_t range_size;
    std::optional<storage::Cursor> cursor;

    // Failure reporting: one line when the node goes away, one when it is back.
    std::string failing_since;
    Clock::duration backoff{};
    std::mt19937_64 jitter{std::random_device{}()};
    Clock::time_point last_sync = Clock::now();

    static void metrics_failure(const char* what, const rpc::RpcError& e) {
        metrics::registry().inc("erc20_ingest_retries_total", "failed node calls the indexer retried, by call and kind",
                                std::string("call=\"") + what + "\",kind=\"" + e.kind_name() + "\"");
    }

    // Progress.
    Clock::time_point progress_at = Clock::now();
    BlockNum progress_block = 0;
    uint64_t progress_transfers = 0;

    Impl(IndexerOptions o, storage::Store& s, LiveStatus& st, Control& c)
        : options(std::move(o)), store(s), status(st), control(c), range_size(std::clamp<uint64_t>(kInitialRange, 1, std::max<uint64_t>(1, options.max_range))) {
        options.rpc.cancel = &cancel;
        for (unsigned i = 0; i < std::max(1u, options.fetch_workers); ++i) {
            clients.push_back(std::make_unique<rpc::Client>(options.rpc));
        }
    }

    bool sleep(std::stop_token& stop, Clock::duration d) {
        beat();
        return control.wait(stop, d);
    }

    void beat() {
        if (options.heartbeat) options.heartbeat();
    }

    // Serves rewind requests (rollback, reindex) between steps.
    void serve_control() {
        finish_write();
        while (auto req = control.take()) {
            try {
                const BlockNum old_head = cursor ? cursor->block_num : 0;
                auto r = rewind(store, *clients[0], req->to_block);
                cursor = store.cursor();
                if (metadata) metadata->rolled_back(cursor ? std::optional<BlockNum>(cursor->block_num) : std::nullopt, r.touched_tokens);
                if (req->reindex && cursor && old_head > cursor->block_num) reindex_until = old_head;
                if (req->reindex && !cursor) reindex_until = old_head;
                if (reindex_until) set_state(State::kReindexing);
                progress_block = cursor ? cursor->block_num : 0;
                req->done.set_value(r);
            } catch (...) {
                req->done.set_exception(std::current_exception());
            }
        }
        while (auto req = control.take_add_tokens()) {
            try {
                auto r = begin_add_tokens(store, std::move(req->tokens));
                set_state(State::kReindexing);  // before the answer: a waiting CLI sees it
                req->done.set_value(std::move(r));
            } catch (...) {
                req->done.set_exception(std::current_exception());
            }
        }
    }

    static bool known(const Hash& h) { return h != Hash{}; }

    void set_state(State s) { status.state.store(static_cast<int>(s)); }

    // A failed call: say so once, then back off (200 ms doubling to 5 s).
    void on_failure(std::stop_token& stop, const char* what, const rpc::RpcError& e) {
        if (stop.stop_requested()) return;  // a call aborted by the stop itself
        if (failing_since.empty()) {
            spdlog::warn("node: {} failed ({}); retrying until it answers", what, e.to_string());
            failing_since = what;
            status.node_reachable.store(false);
        } else {
            spdlog::debug("node: {} failed again: {}", what, e.to_string());
        }
        using namespace std::chrono_literals;
        const Clock::duration cap = options.max_backoff;
        backoff = backoff == Clock::duration{} ? std::min<Clock::duration>(200ms, cap)
                                               : std::min<Clock::duration>(backoff * 2, cap);
        // Full jitter over the upper half, so several indexers behind one
        // provider do not retry in lockstep.
        auto half = std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count() / 2;
        Clock::duration wait = std::chrono::milliseconds(half + static_cast<int64_t>(jitter() % static_cast<uint64_t>(half + 1)));
        if (e.retry_after_ms) wait = std::max<Clock::duration>(wait, std::chrono::milliseconds(*e.retry_after_ms));
        metrics_failure(what, e);
        sleep(stop, wait);
    }
    // `what` clears the failure only when it names the call that failed: a
    // working eth_blockNumber says nothing about a failing eth_getLogs.
    void on_success(const char* what) {
        if (!failing_since.empty() && failing_since == what) {
            spdlog::info("node: answering again");
            failing_since.clear();
            status.node_reachable.store(true);
        }
        backoff = {};
    }

    template <class F>
    auto with_retry(std::stop_token& stop, const char* what, F&& f) -> std::optional<std::decay_t<decltype(f().value())>> {
        while (!stop.stop_requested()) {
            auto r = f();
            if (r) {
                on_success(what);
                return std::move(r).value();
            }
            on_failure(stop, what, r.error());
            // An operator's rollback or reindex must not wait for the node to
            // come back: unwind to the loop, which serves it. Nothing is half
            // done: writes happen only in apply and rollback.
            if (control.pending()) throw Interrupted{};
        }
        return std::nullopt;
    }

    // Walks back from the cursor to the last block whose stored hash the node
    // still has, undoes everything after it in one write, and returns true.
    // Throws when no common block is within the window.
    void handle_reorg(std::stop_token& stop, BlockNum node_head) {
        const storage::Cursor old = *cursor;
        const BlockNum window_floor = old.block_num > options.reorg_window ? old.block_num - options.reorg_window : 0;
        std::optional<storage::BlockRecord> ancestor;
        BlockNum hi = old.block_num;
        while (!ancestor) {
            BlockNum lo = hi >= window_floor + 31 ? hi - 31 : window_floor;
            auto node = with_retry(stop, "eth_getBlockByNumber", [&] { return clients[0]->headers(lo, hi); });
            if (!node) return;  // stopping
            for (BlockNum b = hi + 1; b-- > lo;) {
                auto stored = store.header(b);
                if (!stored) break;
                const auto& theirs = (*node)[b - lo];
                if (theirs && theirs->hash == stored->hash) {
                    ancestor = stored;
                    break;
                }
            }
            if (ancestor) break;
            auto stored_lo = store.header(lo);
            if (lo == window_floor || !stored_lo) {
                set_state(State::kError);
                throw std::runtime_error(
                    "reorg deeper than the stored window: the node no longer has indexed block " +
                    std::to_string(old.block_num) + " (" + to_hex(old.hash) + ") and no common block was found down to " +
                    std::to_string(lo) + " (--reorg-window " + std::to_string(options.reorg_window) +
                    "). Recover with `erc20-indexer rollback --to-block N` to a block below the fork, or "
                    "`erc20-indexer reindex --from-block N`.");
            }
            hi = lo - 1;
        }
        // Never undo finalized blocks: a node that says a finalized block changed
        // is broken or on another network, and an operator must decide.
        auto finalized = with_retry(stop, "eth_getBlockByNumber(finalized)", [&] { return clients[0]->header("finalized"); });
        if (!finalized) return;  // stopping
        if (*finalized && ancestor->number < (*finalized)->number) {
            set_state(State::kError);
            throw std::runtime_error(
                "reorg below the finalized block: indexed block " + std::to_string(old.block_num) + " (" +
                to_hex(old.hash) + ") is gone, the common ancestor " + std::to_string(ancestor->number) +
                " is below the node's finalized block " + std::to_string((*finalized)->number) +
                ". Recover with `erc20-indexer rollback --to-block " + std::to_string(ancestor->number) +
                "` or `erc20-indexer reindex --from-block " + std::to_string(ancestor->number + 1) + "`.");
        }
        auto undone = store.rollback(storage::Cursor{ancestor->number, ancestor->hash});
        metadata->rolled_back(ancestor->number, undone.touched_tokens);
        const uint64_t depth = old.block_num - ancestor->number;
        status.reorgs_total.fetch_add(1);
        if (depth > status.deepest_reorg.load()) status.deepest_reorg.store(depth);
        spdlog::info("reorg: old head {} ({}), node head {}, common ancestor {} ({}), depth {}, {} transfers undone, {} tokens removed",
                     old.block_num, short_hash(old.hash), node_head, ancestor->number, short_hash(ancestor->hash),
                     depth, undone.transfers_undone, undone.tokens_removed);
        cursor = storage::Cursor{ancestor->number, ancestor->hash};
    }

    // Ranges fetched but not yet written. While the next ranges have already
    // arrived (a backfill or a catch-up where writing is the bottleneck)
    // consecutive ranges are merged into one write of up to --write-batch-mb:
    // large writes take the store's bulk path and coalesce the balance
    // updates of the busiest holders.
    std::optional<storage::BlockBatch> pending;
    Clock::time_point pending_since;

    // The block the next range must follow: the last pending one, else the
    // last one being written, else the cursor.
    [[nodiscard]] std::optional<storage::Cursor> tip() const {
        if (pending) return pending->last;
        if (writing_last) return writing_last;
        return cursor;
    }

    size_t batch_limit() const {
        return std::max<size_t>(1, options.write_batch_bytes / storage::kApplyBytesPerTransfer);
    }

    void add_range(FetchedRange&& r, BlockNum node_head) {
        if (!pending) {
            pending.emplace();
            pending->first = r.from;
            pending_since = Clock::now();
        }
        append_range(*pending, std::move(r), node_head);
    }

    // Appends a range that follows `batch`'s last block: its transfers, the
    // times of their blocks, the headers to keep.
    void append_range(storage::BlockBatch& batch, FetchedRange&& r, BlockNum node_head) const {
        batch.last = storage::Cursor{r.to, r.headers.back().hash};
        const BlockNum keep_from = node_head > options.reorg_window ? node_head - options.reorg_window : 0;
        for (const auto& h : r.headers) {
            if (h.number >= keep_from || h.number == r.to) {
                batch.headers.push_back({h.number, h.hash, h.parent_hash, h.timestamp});
            }
        }
        BlockNum last_block = ~BlockNum{0};
        for (const auto& t : r.transfers) {
            if (t.block_num != last_block) {
                batch.block_times.emplace_back(t.block_num, r.headers[t.block_num - r.from].timestamp);
                last_block = t.block_num;
            }
        }
        if (batch.transfers.empty()) {
            batch.transfers = std::move(r.transfers);
        } else {
            batch.transfers.insert(batch.transfers.end(), std::make_move_iterator(r.transfers.begin()),
                                     std::make_move_iterator(r.transfers.end()));
        }
        batch.prune_headers_below = r.to > options.reorg_window ? r.to - options.reorg_window : 0;
    }

    // The batch being written on the writer thread, so fetching and merging
    // the next ranges overlaps the write. One write at a time.
    std::future<storage::ApplyResult> writing;
    std::optional<storage::Cursor> writing_last;

    // Hands the pending ranges to the writer thread as one atomic apply,
    // after the previous write is done.
    void flush() {
        finish_write();
        if (!pending) return;
        auto batch = std::make_shared<storage::BlockBatch>(std::move(*pending));
        pending.reset();
        // Headers a later range of the batch pushed out of the window would
        // survive the batch's own pruning: leave them out.
        std::erase_if(batch->headers, [&](const storage::BlockRecord& h) {
            return h.number < batch->prune_headers_below && h.number != batch->last.block_num;
        });
        writing_last = batch->last;
        writing = std::async(std::launch::async, [this, batch] {
            const auto t0 = Clock::now();
            auto result = store.apply(*batch);
            spdlog::debug("wrote blocks {}-{}: {} transfers in {:.1f} ms", batch->first, batch->last.block_num,
                          result.transfers, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            return result;
        });
    }

    [[nodiscard]] bool writer_busy() const {
        return writing.valid() && writing.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
    }

    // Waits for the write in flight, if any, and moves the cursor. A store
    // failure of the write is rethrown here.
    void finish_write() {
        if (!writing.valid()) return;
        const storage::Cursor last = *writing_last;
        writing_last.reset();
        auto result = writing.get();
        cursor = last;
        // Writes go to the WAL unsynced (a process crash loses nothing); an
        // fsync every few seconds bounds what a power loss can take.
        if (Clock::now() - last_sync > std::chrono::seconds(2)) {
            store.sync();
            last_sync = Clock::now();
        }
        status.transfers_applied.fetch_add(result.transfers);
        metadata->add_new(result.new_tokens);
        metadata->add_touched(result.touched_tokens);
    }

    void log_progress(BlockNum target, bool force) {
        auto now = Clock::now();
        auto elapsed = std::chrono::duration<double>(now - progress_at).count();
        if (!force && elapsed < 5.0) return;
        const BlockNum at = cursor ? cursor->block_num : 0;
        const uint64_t transfers = status.transfers_applied.load();
        if (elapsed > 0 && at > progress_block) {
            double bps = static_cast<double>(at - progress_block) / elapsed;
            double tps = static_cast<double>(transfers - progress_transfers) / elapsed;
            double eta = bps > 0 ? static_cast<double>(target - std::min(target, at)) / bps : -1;
            spdlog::info("{}: block {} of {} ({:.1f}%), {:.0f} blocks/s, {:.0f} transfers/s, ETA {}",
                         to_string(static_cast<State>(status.state.load())), at, target,
                         target ? 100.0 * static_cast<double>(at) / static_cast<double>(target) : 100.0, bps, tps,
                         format_eta(eta));
        }
        progress_at = now;
        progress_block = at;
        progress_transfers = transfers;
    }

    void run(std::stop_token stop) {
        std::stop_callback on_stop(stop, [this] {
            cancel.store(true);
            store.interrupt();
        });
        std::optional<uint64_t> chain_id;
        while (!chain_id) {
            try {
                chain_id = with_retry(stop, "eth_chainId", [&] { return clients[0]->chain_id(); });
                if (!chain_id) return;
            } catch (const Interrupted&) {
                serve_control();
            }
        }
        bind(*chain_id);
        status.chain_id.store(*chain_id);
        metadata = std::make_unique<MetadataWorker>(options.rpc, store);
        cursor = store.cursor();
        spdlog::info("indexer: chain id {}, {}", *chain_id,
                     cursor ? "resuming after block " + std::to_string(cursor->block_num)
                            : "starting at block " + std::to_string(options.start_block));
        progress_block = cursor ? cursor->block_num : 0;
        bool was_following = false;

        while (!stop.stop_requested()) {
            try {
                step(stop, was_following);
            } catch (const Interrupted&) {
                // Served at the top of the next step.
            }
        }
    }

    // Binds the database to the chain and its scope; from here on the stored
    // scope is the one indexed (the daemon checked the options against it).
    void bind(uint64_t chain_id) {
        const bool had_cursor = store.cursor().has_value();
        const storage::IndexScope given{options.tokens, options.start_block};
        if (store.bind_chain(chain_id, given)) {
            const std::string what = "--tokens " + (given.tokens.empty() ? std::string("(every token)") : to_hex_list(given.tokens)) +
                                     " --start-block " + std::to_string(given.start_block);
            if (had_cursor) {
                spdlog::info("database without a stored --tokens/--start-block (built by an older version): "
                             "adopting this start's {} and storing them", what);
            } else {
                spdlog::info("new database: {} stored with it", what);
            }
        }
        const auto scope = store.scope();
        if (!scope) throw storage::StoreError("no stored --tokens/--start-block after binding the database");
        options.tokens = scope->tokens;
        options.start_block = scope->start_block;
    }

    // At the head, or before an add-tokens step: is the block the cursor
    // stands on still the node's? Undoes a reorg and returns false when not
    // (or when stopping).
    bool tip_still_ours(std::stop_token& stop, BlockNum head) {
        if (!cursor) return true;
        if (cursor->block_num <= head) {
            auto h = with_retry(stop, "eth_getBlockByNumber", [&] { return clients[0]->header(cursor->block_num); });
            if (!h) return false;
            if (*h && known(cursor->hash) && (*h)->hash != cursor->hash) {
                handle_reorg(stop, head);
                return false;
            }
            return true;
        }
        // The node is below us: lagging, or its chain got shorter.
        auto stored = store.header_at_or_below(head);
        if (!stored) return true;
        auto h = with_retry(stop, "eth_getBlockByNumber", [&] { return clients[0]->header(stored->number); });
        if (!h) return false;
        if (*h && (*h)->hash != stored->hash) {
            handle_reorg(stop, head);
            return false;
        }
        return true;
    }

    // An add-tokens in progress: its progress and pace since this start.
    uint64_t backfill_range{kInitialRange};
    uint64_t backfill_transfers{0};
    Clock::time_point backfill_started{};
    Clock::time_point backfill_logged{};
    BlockNum backfill_logged_block{0};

    // One step of the add-tokens in progress (main ingestion waits): the
    // logs of its tokens in the next ranges up to the cursor, fetched in
    // parallel, written in one write with the progress row; the last step
    // adds the tokens to the stored filter, and ingestion follows them.
    void backfill_step(std::stop_token& stop, const storage::TokenBackfill& job, BlockNum head) {
        set_state(State::kReindexing);
        if (backfill_started == Clock::time_point{}) {
            backfill_started = backfill_logged = Clock::now();
            backfill_logged_block = job.next_block;
        }
        const BlockNum from = job.next_block;
        if (!cursor || from > cursor->block_num) {
            finish_backfill(job, store.apply_backfill(storage::BlockBatch{from, storage::Cursor{from - 1, Hash{}}, {}, {}, {}, 0}, true));
            return;
        }
        const BlockNum target = cursor->block_num;
        if (target - from > options.reorg_window) store.begin_bulk();
        std::vector<std::future<rpc::Result<FetchedRange>>> ranges;
        for (BlockNum b = from; ranges.size() < clients.size() && b <= target;) {
            const BlockNum e = std::min(target, b + backfill_range - 1);
            rpc::Client* client = clients[ranges.size()].get();
            ranges.push_back(std::async(std::launch::async, [client, b, e, &job] {
                return fetch_range(*client, b, e, job.tokens);
            }));
            b = e + 1;
        }
        storage::BlockBatch batch{from, storage::Cursor{from - 1, Hash{}}, {}, {}, {}, 0};
        std::optional<rpc::RpcError> failed;
        bool reorged = false;
        size_t logs = 0;
        for (auto& f : ranges) {
            auto r = f.get();
            if (failed || reorged) continue;  // only what follows without a gap is written
            if (!r) {
                failed = r.error();
                continue;
            }
            for (const auto& h : r->headers) {
                auto stored = store.header(h.number);
                reorged = reorged || (stored && stored->hash != h.hash);
            }
            if (reorged) continue;
            logs += r->log_count;
            append_range(batch, std::move(r.value()), head);
        }
        const bool some = batch.last.block_num + 1 != batch.first;
        batch.headers.clear();
        batch.prune_headers_below = 0;
        if (some) {
            const bool finish = batch.last.block_num == target;
            const double blocks = static_cast<double>(batch.last.block_num - from + 1);
            auto result = store.apply_backfill(batch, finish);
            backfill_transfers += result.transfers;
            status.transfers_applied.fetch_add(result.transfers);
            metadata->add_new(result.new_tokens);
            metadata->add_touched(result.touched_tokens);
            const double per_block = std::max(1e-3, static_cast<double>(logs) / blocks);
            const auto fit = static_cast<uint64_t>(std::max(1.0, kTargetLogsPerRequest / per_block));
            backfill_range = std::clamp<uint64_t>(std::min(fit, backfill_range * 2), 1, options.max_range);
            log_backfill(batch.last.block_num, target);
            if (finish) return finish_backfill(job, result);
        }
        if (reorged) {
            spdlog::warn("add-tokens: a block the node serves differs from the stored header (a reorg): "
                         "undoing it first, then going on");
            sleep(stop, options.poll_interval);
        } else if (failed) {
            if (failed->kind == rpc::RpcError::Kind::kRangeTooLarge || failed->kind == rpc::RpcError::Kind::kTimeout) {
                backfill_range = std::max<uint64_t>(1, backfill_range / 2);
            }
            on_failure(stop, "eth_getLogs", *failed);
        } else {
            on_success("eth_getLogs");
        }
    }

    void log_backfill(BlockNum at, BlockNum target) {
        const auto now = Clock::now();
        const double secs = std::chrono::duration<double>(now - backfill_logged).count();
        if (secs < 5.0 || at == target) return;
        const double bps = static_cast<double>(at - std::min(at, backfill_logged_block)) / secs;
        spdlog::info("add-tokens: block {} of {}, {:.0f} blocks/s, {} transfers so far, ETA {}", at, target, bps,
                     backfill_transfers, format_eta(bps > 0 ? static_cast<double>(target - at) / bps : -1));
        backfill_logged = now;
        backfill_logged_block = at;
    }

    void finish_backfill(const storage::TokenBackfill& job, const storage::ApplyResult&) {
        const auto scope = store.scope();
        if (!scope) throw storage::StoreError("no stored --tokens after an add-tokens");
        options.tokens = scope->tokens;
        spdlog::info("add-tokens: done: {} indexed from block {} to {} ({} transfers, {:.1f} s); following {} tokens",
                     to_hex_list(job.tokens), options.start_block, cursor ? cursor->block_num : 0, backfill_transfers,
                     std::chrono::duration<double>(Clock::now() - backfill_started).count(), options.tokens.size());
        backfill_started = {};
        backfill_transfers = 0;
        backfill_range = kInitialRange;
    }

    // One pass of the ingestion loop: serve admin requests, ask the node for
    // its head, then check the tip or fetch and apply the next ranges.
    void step(std::stop_token& stop, bool& was_following) {
        {
            serve_control();
            beat();
            auto head = with_retry(stop, "eth_blockNumber", [&] { return clients[0]->block_number(); });
            if (!head) return;
            status.node_block.store(*head);
            if (auto job = store.token_backfill()) {
                // An add-tokens first; the cursor waits, reorgs are undone.
                was_following = false;
                if (tip_still_ours(stop, *head)) backfill_step(stop, *job, *head);
                return;
            }
            const BlockNum next = cursor ? cursor->block_num + 1 : options.start_block;
            if (*head < options.confirmations || *head - options.confirmations < next) {
                // Nothing new to apply: make sure the block we stand on is still the node's.
                if (!tip_still_ours(stop, *head)) return;
                if (store.bulk()) {
                    // The deferred compactions, once, before following.
                    const auto t0 = Clock::now();
                    const uint64_t before = store.size_bytes();
                    spdlog::info("backfill done: compacting the database ({:.1f} MiB on disk)", mib(before));
                    if (!store.end_bulk()) {
                        spdlog::info("compaction interrupted after {:.1f} s; automatic compactions take over",
                                     std::chrono::duration<double>(Clock::now() - t0).count());
                        return;
                    }
                    const uint64_t after = store.size_bytes();
                    spdlog::info("compacted in {:.1f} s: {:.1f} MiB -> {:.1f} MiB on disk ({} bytes)",
                                 std::chrono::duration<double>(Clock::now() - t0).count(), mib(before), mib(after),
                                 after);
                }
                if (!was_following) {
                    spdlog::info("following: at block {}, node head {}", cursor ? cursor->block_num : 0, *head);
                    was_following = true;
                }
                reindex_until.reset();
                set_state(State::kFollowing);
                sleep(stop, options.poll_interval);
                return;
            }
            const BlockNum target = *head - options.confirmations;
            if (reindex_until && cursor && cursor->block_num >= *reindex_until) reindex_until.reset();
            if (reindex_until) {
                set_state(State::kReindexing);
                was_following = false;
                store.begin_bulk();
            } else if (target - next > options.reorg_window) {
                set_state(State::kBackfilling);
                was_following = false;
                store.begin_bulk();
            } else if (status.state.load() != static_cast<int>(State::kBackfilling)) {
                set_state(State::kFollowing);  // a short catch-up is following
            }

            // A window of ranges in flight, applied in order as each arrives,
            // so fetching and decoding the next ranges overlaps applying this one.
            struct InFlight {
                size_t client;
                std::future<rpc::Result<FetchedRange>> result;
                std::shared_ptr<std::atomic<bool>> failed;  // set by the fetch when it failed
                bool released{false};  // its client went back to the pool
            };
            std::deque<InFlight> inflight;
            std::vector<size_t> free_clients;
            for (size_t i = clients.size(); i-- > 0;) free_clients.push_back(i);
            BlockNum b = next;
            // A client is free again once its range has arrived, so fetching
            // goes on while a large batch is written; ranges that arrived and
            // wait to be written are bounded by the write batch.
            const size_t max_queued = clients.size() + std::max<size_t>(1, batch_limit() / static_cast<size_t>(kTargetLogsPerRequest));
            // A failed range stops new launches: the window is drained and
            // backs off (Retry-After included) when the failure is reached.
            auto launch = [&] {
                for (auto& f : inflight) {
                    if (f.failed->load()) return;
                    if (!f.released && f.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
                        if (f.failed->load()) return;
                        free_clients.push_back(f.client);
                        f.released = true;
                    }
                }
                while (!free_clients.empty() && b <= target && inflight.size() < max_queued) {
                    const BlockNum e = std::min(target, b + range_size - 1);
                    const size_t ci = free_clients.back();
                    free_clients.pop_back();
                    rpc::Client* client = clients[ci].get();
                    auto failed = std::make_shared<std::atomic<bool>>(false);
                    inflight.push_back({ci, std::async(std::launch::async, [client, b, e, failed, this] {
                                            auto r = fetch_range(*client, b, e, options.tokens);
                                            if (!r) failed->store(true);
                                            return r;
                                        }), failed, false});
                    b = e + 1;
                }
            };
            // Waits for the ranges still in flight; returns the longest
            // Retry-After any of them was told, so none is retried early.
            auto drain = [&] {
                std::optional<int64_t> retry_after;
                for (auto& f : inflight) {
                    auto other = f.result.get();
                    if (!other && other.error().retry_after_ms) {
                        retry_after = std::max(retry_after.value_or(0), *other.error().retry_after_ms);
                    }
                }
                inflight.clear();
                return retry_after;
            };
            pending.reset();  // anything left from a step that threw is re-fetched
            launch();
            while (!inflight.empty()) {
                auto r = inflight.front().result.get();
                if (!inflight.front().released) free_clients.push_back(inflight.front().client);
                inflight.pop_front();
                if (!r) {
                    flush();  // what arrived before is good: write it before backing off
                    rpc::RpcError e = r.error();
                    if (auto others = drain()) e.retry_after_ms = std::max(e.retry_after_ms.value_or(0), *others);
                    if (e.kind == rpc::RpcError::Kind::kTimeout && range_size > 1) {
                        // A range the node cannot answer in time is too large for it.
                        range_size = std::max<uint64_t>(1, range_size / 2);
                        on_failure(stop, "eth_getLogs", e);
                    } else if (e.kind == rpc::RpcError::Kind::kRangeTooLarge) {
                        const BlockNum from = cursor ? cursor->block_num + 1 : options.start_block;
                        uint64_t span = range_size;
                        range_size = e.suggested_to && *e.suggested_to >= from
                                         ? std::max<uint64_t>(1, std::min(range_size / 2, *e.suggested_to - from + 1))
                                         : std::max<uint64_t>(1, range_size / 2);
                        metrics_failure("eth_getLogs", e);
                        spdlog::info("eth_getLogs: node refused {} blocks per request, now {}", span, range_size);
                        if (e.retry_after_ms) control.wait(stop, std::chrono::milliseconds(*e.retry_after_ms));
                    } else {
                        on_failure(stop, "eth_getLogs", e);
                    }
                    break;
                }
                on_success("eth_getLogs");
                FetchedRange& range = r.value();
                if (auto t = tip(); t && range.from == t->block_num + 1 && known(t->hash) &&
                    range.headers.front().parent_hash != t->hash) {
                    drain();
                    flush();
                    finish_write();
                    handle_reorg(stop, *head);
                    break;
                }
                const double blocks = static_cast<double>(range.to - range.from + 1);
                const double per_block = std::max(1e-3, static_cast<double>(range.log_count) / blocks);
                add_range(std::move(range), *head);
                // Merge while the writer is busy or the next range has already
                // arrived; hand the batch over when the writer would otherwise
                // wait idle, when the batch is full, or when it waited long.
                const bool next_ready = !inflight.empty() && inflight.front().result.wait_for(std::chrono::seconds(0)) ==
                                                                 std::future_status::ready;
                if ((!next_ready && !writer_busy()) || pending->transfers.size() >= batch_limit() ||
                    Clock::now() - pending_since > kMaxBatchAge) {
                    flush();
                }
                beat();
                if (stop.stop_requested() || control.pending()) {
                    drain();
                    break;
                }
                const int state = status.state.load();
                if (state == static_cast<int>(State::kBackfilling) || state == static_cast<int>(State::kReindexing)) {
                    log_progress(target, cursor && cursor->block_num >= target);
                }
                // Size the next ranges to the density just seen: shrink for
                // dense blocks, grow (at most doubling) while answers are small.
                const auto fit = static_cast<uint64_t>(std::max(1.0, kTargetLogsPerRequest / per_block));
                range_size = std::clamp<uint64_t>(std::min(fit, range_size * 2), 1, options.max_range);
                launch();
            }
            if (stop.stop_requested()) {
                // Stop promptly: the write in flight completes, the ranges not
                // yet handed over are fetched again after a restart.
                pending.reset();
            }
            flush();  // the ranges that arrived before an error, a reorg or an admin request
            finish_write();
        }
    }
};

Indexer::Indexer(IndexerOptions options, storage::Store& store, LiveStatus& status, Control& control)
    : impl_(std::make_unique<Impl>(std::move(options), store, status, control)) {}
Indexer::~Indexer() = default;

void Indexer::run(std::stop_token stop) { impl_->run(std::move(stop)); }

}  // namespace erc20::indexer
