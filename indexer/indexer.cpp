// The ingestion loop: a thin loop over the pipeline's parts. Each pass serves
// admin requests, asks the node for its head, then checks the tip (Reorgs),
// or fetches the next ranges (Fetcher, sized by RangeWindow) and hands them
// to the writer thread (BatchWriter); every node call retries through
// Retrier, whose Halt results end the pass.
#include "indexer/indexer.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "indexer/batch_writer.hpp"
#include "indexer/fetch.hpp"
#include "indexer/metadata.hpp"
#include "indexer/node.hpp"
#include "indexer/progress_log.hpp"
#include "indexer/range_window.hpp"
#include "indexer/reorg.hpp"
#include "indexer/retry.hpp"

namespace erc20::indexer {
namespace {

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool known(const Hash& h) { return h != Hash{}; }

}  // namespace

struct Indexer::Impl {
    std::atomic<bool> cancel{false};  // set on stop: aborts RPC calls in flight
    IndexerOptions options;
    storage::Store& store;
    LiveStatus& status;
    Control& control;
    std::optional<BlockNum> reindex_until;
    std::vector<std::unique_ptr<RpcNode>>
        nodes;  // one connection per fetch worker; [0] for the loop's calls
    std::vector<Node*> node_ptrs;
    std::unique_ptr<MetadataWorker> metadata;
    std::optional<storage::Cursor> cursor;
    Retrier retrier;
    RangeWindow window;
    Reorgs reorgs;
    BatchWriter writer;
    Clock::time_point last_sync = Clock::now();

    ProgressMeter progress;

    // An add-tokens in progress: its range, progress and pace since this start.
    RangeWindow backfill_window;
    uint64_t backfill_transfers{0};
    Clock::time_point backfill_started{};
    Clock::time_point backfill_logged{};
    std::optional<Clock::time_point> debt_since;  // end_bulk left compaction debt
    Clock::time_point debt_logged{};
    BlockNum backfill_logged_block{0};

    Impl(IndexerOptions o, storage::Store& s, LiveStatus& st, Control& c)
        : options(std::move(o)),
          store(s),
          status(st),
          control(c),
          nodes(make_nodes(options, cancel)),
          node_ptrs(pointers(nodes)),
          retrier(options.max_backoff, status, control, options.heartbeat),
          window(options.max_range),
          reorgs(store, *nodes.front(), retrier, status, options.reorg_window,
                 [this](const ReorgUndone& u) { metadata->rolled_back(u.ancestor.block_num); }),
          writer(store, options.write_batch_bytes, options.reorg_window,
                 [this](const storage::Cursor& last, const storage::ApplyResult& r) {
                     written(last, r);
                 }),
          backfill_window(options.max_range, RangeWindow::First::kInitial) {
        // nodes[0] is the loop's own connection: idle whenever a call fails.
        retrier.set_head_probe(
            [this] { return nodes[0]->block_number(); },
            std::max<Clock::duration>(options.poll_interval, std::chrono::seconds(1)));
    }

    // One connection per fetch worker; every call aborts once `cancel` is set.
    static std::vector<std::unique_ptr<RpcNode>> make_nodes(IndexerOptions& o,
                                                            const std::atomic<bool>& cancel) {
        o.rpc.cancel = &cancel;
        std::vector<std::unique_ptr<RpcNode>> out;
        for (unsigned i = 0; i < std::max(1u, o.fetch_workers); ++i)
            out.push_back(std::make_unique<RpcNode>(o.rpc));
        return out;
    }
    static std::vector<Node*> pointers(const std::vector<std::unique_ptr<RpcNode>>& nodes) {
        std::vector<Node*> out;
        out.reserve(nodes.size());
        for (const auto& n : nodes) out.push_back(n.get());
        return out;
    }

    void set_state(State s) { status.state.store(static_cast<int>(s)); }

    // A write is done: move the cursor, and tell the metadata worker.
    void written(const storage::Cursor& last, const storage::ApplyResult& result) {
        cursor = last;
        // Writes go to the WAL unsynced (a process crash loses nothing); an
        // fsync every few seconds bounds what a power loss can take.
        if (Clock::now() - last_sync > std::chrono::seconds(2)) {
            store.sync();
            last_sync = Clock::now();
        }
        status.transfers_applied.fetch_add(result.transfers);
        if (!result.touched_tokens.empty()) metadata->wake();  // the write queued their metadata
    }

    // Serves rewind requests (rollback, reindex) and add-tokens between steps.
    void serve_control() {
        writer.finish();
        while (auto req = control.take()) {
            try {
                const BlockNum old_head = cursor ? cursor->block_num : 0;
                auto r = rewind(store, nodes[0]->client(), req->to_block);
                cursor = store.cursor();
                if (metadata) {
                    metadata->rolled_back(cursor ? std::optional<BlockNum>(cursor->block_num)
                                                 : std::nullopt);
                }
                if (req->reindex && cursor && old_head > cursor->block_num)
                    reindex_until = old_head;
                if (req->reindex && !cursor) reindex_until = old_head;
                if (reindex_until) set_state(State::kReindexing);
                restart_progress();
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

    // Progress counts from where this run starts: the cursor, else the block
    // before --start-block (a backfill from 17,000,000 starts at 0%, not 94%).
    void restart_progress() {
        progress.restart(cursor                ? cursor->block_num
                         : options.start_block ? options.start_block - 1
                                               : 0,
                         status.transfers_applied.load());
        status.set_progress(std::nullopt);
    }

    // After each range lands: /v1/status's progress at once; the rates (and
    // a log line) every 5 s.
    void log_progress(BlockNum target, bool force) {
        status.set_progress(progress.update(to_string(static_cast<State>(status.state.load())),
                                            cursor ? cursor->block_num : 0, target,
                                            status.transfers_applied.load(), force));
    }

    void run(std::stop_token stop) {
        std::stop_callback on_stop(stop, [this] {
            cancel.store(true);
            store.interrupt();
        });
        std::optional<uint64_t> chain_id;
        while (!chain_id) {
            auto id = retrier.call(stop, "eth_chainId", [&] { return nodes[0]->chain_id(); });
            if (id) {
                chain_id = *id;
            } else if (id.halt() == Halt::kStop) {
                return;
            } else {
                serve_control();
            }
        }
        bind(*chain_id);
        status.chain_id.store(*chain_id);
        metadata = std::make_unique<MetadataWorker>(options.rpc, store, options.metadata);
        cursor = store.cursor();
        adopt_log_limit(store.log_limit());
        log::event(spdlog::level::info,
                   fmt::format("indexer: chain id {}, {}", *chain_id,
                               cursor ? "resuming after block " + std::to_string(cursor->block_num)
                                      : "starting at block " + std::to_string(options.start_block)),
                   {{"chain_id", *chain_id},
                    {"block", cursor ? std::optional<BlockNum>(cursor->block_num) : std::nullopt},
                    {"start_block", options.start_block}});
        restart_progress();
        bool was_following = false;
        while (!stop.stop_requested()) step(stop, was_following);
    }

    // A limit learned by an earlier run: aimed below from the first range on.
    void adopt_log_limit(uint64_t limit) {
        metrics::registry().set("erc20_rpc_log_limit",
                                "the node's eth_getLogs log limit as learned (0: none known)", "",
                                limit);
        if (limit == 0) return;
        window.learn(limit);
        backfill_window.learn(limit);
        spdlog::info(
            "eth_getLogs: the node's limit is {} logs (learned before), ranges aim at {:.0f}",
            limit, window.aim());
    }

    // Binds the database to the chain and its scope; from here on the stored
    // scope is the one indexed (the daemon checked the options against it).
    void bind(uint64_t chain_id) {
        const bool had_cursor = store.cursor().has_value();
        const storage::IndexScope given{options.tokens, options.start_block};
        if (store.bind_chain(chain_id, given)) {
            const std::string what =
                "--tokens " +
                (given.tokens.empty() ? std::string("(every token)") : to_hex_list(given.tokens)) +
                " --start-block " + std::to_string(given.start_block);
            if (had_cursor) {
                spdlog::info(
                    "database without a stored --tokens/--start-block (built by an older version): "
                    "adopting this start's {} and storing them",
                    what);
            } else {
                spdlog::info("new database: {} stored with it", what);
            }
        }
        const auto scope = store.scope();
        if (!scope)
            throw storage::StoreError(
                "no stored --tokens/--start-block after binding the database");
        options.tokens = scope->tokens;
        options.start_block = scope->start_block;
    }

    // One pass of the ingestion loop: serve admin requests, ask the node for
    // its head, then check the tip or fetch and apply the next ranges.
    void step(std::stop_token& stop, bool& was_following) {
        serve_control();
        retrier.beat();
        auto head = retrier.call(stop, "eth_blockNumber", [&] { return nodes[0]->block_number(); });
        if (!head) return;
        status.node_block.store(*head);
        if (auto job = store.token_backfill()) {
            // An add-tokens first; the cursor waits, reorgs are undone.
            was_following = false;
            if (reorgs.check_tip(stop, cursor, *head) == TipCheck::kOurs)
                backfill_step(stop, *job, *head);
            return;
        }
        const BlockNum next = cursor ? cursor->block_num + 1 : options.start_block;
        if (*head < options.confirmations || *head - options.confirmations < next) {
            at_head(stop, *head, was_following);
            return;
        }
        const BlockNum target = *head - options.confirmations;
        choose_state(next, target, was_following);
        ingest(stop, *head, next, target);
    }

    // Nothing new to apply: make sure the block we stand on is still the
    // node's, leave bulk mode after a backfill, lower the stall triggers as
    // the compaction debt is paid, then wait for the next poll.
    void at_head(std::stop_token& stop, BlockNum head, bool& was_following) {
        if (reorgs.check_tip(stop, cursor, head) != TipCheck::kOurs) return;
        if (store.bulk()) end_bulk();
        settle_compactions();
        if (!was_following) {
            const BlockNum at = cursor ? cursor->block_num : 0;
            log::event(spdlog::level::info,
                       fmt::format("following: at block {}, node head {}", at, head),
                       {{"state", "following"}, {"block", at}, {"node_block", head}});
            was_following = true;
        }
        reindex_until.reset();
        set_state(State::kFollowing);
        retrier.sleep(stop, options.poll_interval);
    }

    // Leaves bulk mode without compacting (Store::end_bulk): the deferred
    // compactions run in the background while the daemon follows.
    void end_bulk() {
        const auto t0 = Clock::now();
        store.end_bulk();
        const auto c = store.compaction_stats();
        spdlog::info(
            "backfill done: bulk mode ended in {:.1f} s, {:.1f} MiB on disk; compaction debt "
            "{:.1f} MiB pending, at most {} level-0 files in a column family, paid in the "
            "background",
            seconds_since(t0), mib(store.size_bytes()), mib(c.pending_bytes), c.level0_files);
        debt_since = Clock::now();
        debt_logged = Clock::now();
    }

    // Once per poll: the stall triggers back to the defaults as the debt is
    // paid (a no-op once it is); progress at most once a minute, one line
    // when it is paid.
    void settle_compactions() {
        if (!debt_since) {
            if (!store.compaction_debt()) return;
            const auto c = store.compaction_stats();  // opened with the debt of a stopped run
            spdlog::info(
                "compaction debt: {:.1f} MiB pending, at most {} level-0 files in a "
                "column family, paid in the background",
                mib(c.pending_bytes), c.level0_files);
            debt_since = Clock::now();
            debt_logged = Clock::now();
        }
        if (store.settle_compactions()) {
            spdlog::info("compaction debt paid {:.1f} s after the backfill: {:.1f} MiB on disk",
                         seconds_since(*debt_since), mib(store.size_bytes()));
            debt_since.reset();
        } else if (Clock::now() - debt_logged >= std::chrono::minutes(1)) {
            const auto c = store.compaction_stats();
            spdlog::info(
                "compaction debt: {:.1f} MiB pending, at most {} level-0 files in a "
                "column family, {} compactions running",
                mib(c.pending_bytes), c.level0_files, c.running);
            debt_logged = Clock::now();
        }
    }

    void choose_state(BlockNum next, BlockNum target, bool& was_following) {
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
    }

    // Does `r` follow the block the writer stands on? False on a reorg.
    [[nodiscard]] bool follows_tip(const FetchedRange& r) const {
        const auto t = writer.tip() ? writer.tip() : cursor;
        return !(t && r.from == t->block_num + 1 && known(t->hash) &&
                 r.headers.front().parent_hash != t->hash);
    }

    // Fetches [next, target] through a window of ranges in flight, applied
    // in order as each arrives, so fetching and decoding the next ranges
    // overlaps writing this one. Ends at the target, a failure, a reorg, a
    // stop or an admin request.
    void ingest(std::stop_token& stop, BlockNum head, BlockNum next, BlockNum target) {
        // Ranges that arrived and wait to be written are bounded by the write batch.
        const size_t max_queued =
            nodes.size() +
            std::max<size_t>(1, writer.limit() / static_cast<size_t>(kTargetLogsPerRequest));
        Fetcher fetcher(node_ptrs, options.tokens, max_queued, head);
        writer.drop_pending();  // anything left from a step that threw is re-fetched
        BlockNum b = next;
        fetcher.launch(b, target, window.size());
        while (!fetcher.empty()) {
            auto r = fetcher.take();
            if (!r) {
                writer.flush();  // what arrived before is good: write it before backing off
                fetch_failed(stop, fetcher, r.error());
                break;
            }
            retrier.succeeded("eth_getLogs");
            if (!follows_tip(*r)) {
                fetcher.drain();
                writer.flush();
                writer.finish();
                (void)reorgs.undo(stop, cursor, head);  // a Halt ends the pass as well
                break;
            }
            const uint64_t blocks = r->to - r->from + 1;
            const size_t logs = r->log_count;
            learn_from(window, r->refusals);
            writer.add(std::move(*r), head, window.log_limit());
            if (writer.should_hand_over(fetcher.next_ready())) writer.flush();
            retrier.beat();
            if (stop.stop_requested() || control.pending()) {
                fetcher.drain();
                break;
            }
            const int state = status.state.load();
            if (state == static_cast<int>(State::kBackfilling) ||
                state == static_cast<int>(State::kReindexing)) {
                log_progress(target, cursor && cursor->block_num >= target);
            }
            window.fit(blocks, logs);
            fetcher.launch(b, target, window.size());
        }
        // Stop promptly: the write in flight completes, the ranges not yet
        // handed over are fetched again after a restart.
        if (stop.stop_requested()) writer.drop_pending();
        writer.flush();  // the ranges that arrived before an error, a reorg or an admin request
        writer.finish();
    }

    // The ranges the node refused on the way (and answered in parts) teach
    // `w` its limit; one line when the learned limit changes.
    void learn_from(RangeWindow& w, const std::vector<Refusal>& refusals) {
        for (const auto& f : refusals) {
            const uint64_t before = w.log_limit();
            w.refused(f.error, f.from, f.blocks, f.logs);
            count_refusal(f.error);
            if (w.log_limit() != before) limit_learned(w.log_limit(), f);
        }
    }

    void limit_learned(uint64_t limit, const Refusal& f) const {
        metrics::registry().set("erc20_rpc_log_limit",
                                "the node's eth_getLogs log limit as learned (0: none known)", "",
                                limit);
        spdlog::info(
            "eth_getLogs: the node refused {} blocks holding {} logs ({}): its limit is taken as "
            "{} "
            "logs, ranges aim at {:.0f}",
            f.blocks, f.logs, f.error.message, limit, kLimitAim * static_cast<double>(limit));
    }

    static void count_refusal(const rpc::RpcError& e) {
        count_retry("eth_getLogs", e);
        metrics::registry().inc("erc20_rpc_logs_refused_total",
                                "eth_getLogs ranges the node refused as too large (split and asked "
                                "again)",
                                "");
    }

    // A range failed: the others are drained (their Retry-After counts too),
    // the window shrinks when the range was too large, then the backoff.
    void fetch_failed(std::stop_token& stop, Fetcher& fetcher, rpc::RpcError e) {
        if (auto others = fetcher.drain())
            e.retry_after_ms = std::max(e.retry_after_ms.value_or(0), *others);
        if (e.kind == rpc::RpcError::Kind::kTimeout && window.size() > 1) {
            window.halve();
            retrier.failed(stop, "eth_getLogs", e);
        } else if (e.kind == rpc::RpcError::Kind::kRangeTooLarge) {
            const BlockNum from = cursor ? cursor->block_num + 1 : options.start_block;
            const uint64_t span = window.size();
            window.refused(e, from);
            count_retry("eth_getLogs", e);
            spdlog::info("eth_getLogs: node refused {} blocks per request, now {}", span,
                         window.size());
            if (e.retry_after_ms) control.wait(stop, std::chrono::milliseconds(*e.retry_after_ms));
        } else {
            retrier.failed(stop, "eth_getLogs", e);
        }
    }

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
        storage::BlockBatch batch{from, storage::Cursor{from - 1, Hash{}}, {}, {}, {}, 0};
        if (!cursor || from > cursor->block_num) {
            finish_backfill(job, store.apply_backfill(batch, true));
            return;
        }
        const BlockNum target = cursor->block_num;
        if (target - from > options.reorg_window) store.begin_bulk();
        std::optional<rpc::RpcError> failed;
        bool reorged = false;
        const size_t logs = fetch_backfill(job, head, target, batch, failed, reorged);
        if (batch.last.block_num + 1 != batch.first && apply_backfill(job, batch, target, logs))
            return;
        if (reorged) {
            spdlog::warn(
                "add-tokens: a block the node serves differs from the stored header (a reorg): "
                "undoing it first, then going on");
            retrier.sleep(stop, options.poll_interval);
        } else if (failed) {
            if (failed->kind == rpc::RpcError::Kind::kRangeTooLarge ||
                failed->kind == rpc::RpcError::Kind::kTimeout) {
                backfill_window.halve();
            }
            retrier.failed(stop, "eth_getLogs", *failed);
        } else {
            retrier.succeeded("eth_getLogs");
        }
    }

    // The next ranges of the job, one per node, appended to `batch` as long
    // as they follow without a gap, a failure or a header that differs from
    // the stored one (a reorg). Returns the logs appended.
    size_t fetch_backfill(const storage::TokenBackfill& job, BlockNum head, BlockNum target,
                          storage::BlockBatch& batch, std::optional<rpc::RpcError>& failed,
                          bool& reorged) {
        Fetcher fetcher(node_ptrs, job.tokens, nodes.size(), head);
        BlockNum b = job.next_block;
        fetcher.launch(b, target, backfill_window.size());
        size_t logs = 0;
        while (!fetcher.empty()) {
            auto r = fetcher.take();
            if (failed || reorged) continue;  // only what follows without a gap is written
            if (!r) {
                failed = r.error();
                continue;
            }
            for (const auto& h : r->headers) {
                auto stored = store.header(h.block_num);
                reorged = reorged || (stored && stored->hash != h.hash);
            }
            if (reorged) continue;
            logs += r->log_count;
            learn_from(backfill_window, r->refusals);
            batch.log_limit = backfill_window.log_limit();
            append_range(batch, std::move(*r), head, options.reorg_window);
        }
        return logs;
    }

    // Writes what was fetched with the progress row; true when it was the last step.
    bool apply_backfill(const storage::TokenBackfill& job, storage::BlockBatch& batch,
                        BlockNum target, size_t logs) {
        batch.headers.clear();
        batch.prune_headers_below = 0;
        const bool finish = batch.last.block_num == target;
        const auto result = store.apply_backfill(batch, finish);
        backfill_transfers += result.transfers;
        status.transfers_applied.fetch_add(result.transfers);
        if (!result.touched_tokens.empty()) metadata->wake();
        backfill_window.fit(batch.last.block_num - job.next_block + 1, logs);
        log_backfill(batch.last.block_num, target);
        if (finish) finish_backfill(job, result);
        return finish;
    }

    void log_backfill(BlockNum at, BlockNum target) {
        const auto now = Clock::now();
        const double secs = std::chrono::duration<double>(now - backfill_logged).count();
        if (secs < 5.0 || at == target) return;
        const double bps = static_cast<double>(at - std::min(at, backfill_logged_block)) / secs;
        log_add_tokens_progress(at, target, bps, backfill_transfers,
                                bps > 0 ? static_cast<double>(target - at) / bps : -1);
        backfill_logged = now;
        backfill_logged_block = at;
    }

    void finish_backfill(const storage::TokenBackfill& job, const storage::ApplyResult&) {
        const auto scope = store.scope();
        if (!scope) throw storage::StoreError("no stored --tokens after an add-tokens");
        options.tokens = scope->tokens;
        log_add_tokens_done(job.tokens, options.start_block, cursor ? cursor->block_num : 0,
                            backfill_transfers, seconds_since(backfill_started),
                            options.tokens.size());
        backfill_started = {};
        backfill_transfers = 0;
        backfill_window.reset();
    }
};

Indexer::Indexer(IndexerOptions options, storage::Store& store, LiveStatus& status,
                 Control& control)
    : impl_(std::make_unique<Impl>(std::move(options), store, status, control)) {}
Indexer::~Indexer() = default;

void Indexer::run(std::stop_token stop) { impl_->run(std::move(stop)); }

}  // namespace erc20::indexer
