#include "app/daemon.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#ifdef ERC20_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "admin/actions.hpp"
#include "admin/daemon_client.hpp"
#include "admin/jobs.hpp"
#include "api/labels.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "app/access_setup.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "indexer/indexer.hpp"
#include "storage/schema.hpp"
#include "storage/store.hpp"

#ifndef ERC20_INDEXER_VERSION
#define ERC20_INDEXER_VERSION "0.0.0"
#endif

namespace erc20::app {
namespace {

// systemd's notify protocol; a no-op outside systemd or without libsystemd.
void notify(const std::string& message) {
#ifdef ERC20_HAVE_SYSTEMD
    sd_notify(0, message.c_str());
#else
    (void)message;
#endif
}

// Transfers applied per second over the last minute, from samples taken on
// each heartbeat.
class Rate {
  public:
    void sample(uint64_t total) {
        std::lock_guard lock(mutex_);
        auto now = std::chrono::steady_clock::now();
        samples_.emplace_back(now, total);
        while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(60))
            samples_.pop_front();
    }
    double per_second() {
        std::lock_guard lock(mutex_);
        if (samples_.size() < 2) return 0;
        double secs =
            std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
        return secs > 0
                   ? static_cast<double>(samples_.back().second - samples_.front().second) / secs
                   : 0;
    }

  private:
    std::mutex mutex_;
    std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
};

std::optional<std::string> read_token(const std::string& path, std::string& problem) {
    auto token = admin::read_token_file(path);
    if (!token && !std::ifstream(path)) {
        problem = "cannot read --admin-token-file '" + path + "'";
        return std::nullopt;
    }
    if (!token || token->size() < 16) {  // nullopt here: an empty file
        problem = "--admin-token-file '" + path +
                  "' must hold a token of at least 16 characters on its first line";
        return std::nullopt;
    }
    return token;
}

std::string describe_tokens(const std::vector<Address>& tokens) {
    return tokens.empty() ? std::string("(every token)") : to_hex_list(tokens);
}

// This start's --tokens and --start-block against the ones stored with the
// database: an option given with another value is an error (returned); an
// option not given takes the stored value. A database without stored values
// takes this start's (the indexer stores them).
std::optional<std::string> resolve_scope(const storage::Store& store, config::Settings& s) {
    const auto stored = store.scope();
    if (!stored) return std::nullopt;
    std::string in_progress;
    if (auto job = store.token_backfill()) {
        in_progress = " (an add-tokens of " + describe_tokens(job->tokens) +
                      " is in progress; they join it when it ends)";
    }
    if (s.given.count("tokens") && s.tokens != stored->tokens) {
        return "--tokens " + describe_tokens(s.tokens) +
               " differs from the --tokens stored with the database " + s.db + ": " +
               describe_tokens(stored->tokens) + in_progress + ". Ways out: start with --tokens " +
               (stored->tokens.empty() ? std::string("''") : describe_tokens(stored->tokens)) +
               " or without --tokens (the stored value is used); add tokens to this database with "
               "`erc20-indexer add-tokens --tokens A,B` (then give the new set or no --tokens); or "
               "index another "
               "set into a new --db folder (a full reindex)";
    }
    if (s.given.count("start-block") && s.start_block != stored->start_block) {
        return "--start-block " + std::to_string(s.start_block) +
               " differs from the --start-block stored with the database " + s.db + ": " +
               std::to_string(stored->start_block) + ". Ways out: start with --start-block " +
               std::to_string(stored->start_block) +
               " or without --start-block (the stored value is used); "
               "re-ingest blocks with `erc20-indexer reindex --from-block N`; or start from "
               "another block in a new "
               "--db folder (a full reindex)";
    }
    if (!s.given.count("tokens") || !s.given.count("start-block")) {
        spdlog::info("database {}: using its stored --tokens {} --start-block {}", s.db,
                     describe_tokens(stored->tokens), stored->start_block);
    }
    s.tokens = stored->tokens;
    s.start_block = stored->start_block;
    return std::nullopt;
}
// After a storage I/O failure (no space left, a read-only or failing disk) the
// database holds the state before the failed write and the API keeps serving
// it. One error line says so; then the ingestion thread tries to write again
// (1 s, doubling to 30 s) and resumes by itself once a write succeeds.
class StorageRecovery {
  public:
    StorageRecovery(storage::Store& store, indexer::LiveStatus& live)
        : store_(store), live_(live) {}

    // Returns true once the database is writable again, false when stopping
    // or when the failure turned out not to be one of I/O.
    bool wait_writable(std::stop_token& stop, const storage::StoreError& e) {
        unwritable_.store(true);
        live_.state.store(static_cast<int>(indexer::State::kError));
        BlockNum at = 0;
        try {
            const auto cursor = store_.cursor();
            at = cursor ? cursor->block_num : 0;
        } catch (const storage::StoreError&) {
            // unreadable too: the retries below tell when it is back
        }
        // A retry that fails again before any block was applied is the same
        // failure: one line for it, not one per retry.
        if (!failing_ || at != failing_at_) {
            log::event(spdlog::level::err,
                       fmt::format("storage failure, ingestion paused at block {}: {} (database "
                                   "{}); the HTTP API keeps serving block {}; retrying by itself "
                                   "once space or write access is back",
                                   at, e.what(), store_.path(), at),
                       {{"block", at}, {"error", e.what()}});
            failing_ = true;
            failing_at_ = at;
            resumed_logged_ = false;
            since_ = std::chrono::steady_clock::now();
        } else {
            spdlog::debug("storage: failed again: {}", e.what());
        }
        auto wait = std::chrono::seconds(1);
        while (!stop.stop_requested()) {
            notify("WATCHDOG=1");
            // Not control_.wait: an admin request waiting for the writes to
            // work again must not turn this into a busy loop.
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, stop, wait, [] { return false; });
            if (stop.stop_requested()) return false;
            try {
                store_.resume();
            } catch (const storage::StoreError& again) {
                if (again.kind() != storage::StoreError::Kind::kIo) {
                    spdlog::error("storage: cannot resume writes: {}", again.what());
                    return false;
                }
                spdlog::debug("storage: still not writable: {}", again.what());
                wait = std::min<std::chrono::seconds>(wait * 2, std::chrono::seconds(30));
                continue;
            }
            if (!resumed_logged_) {
                const double secs =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - since_)
                        .count();
                log::event(spdlog::level::info,
                           fmt::format("storage: writable again after {:.0f} s; resuming "
                                       "ingestion after block {}",
                                       secs, at),
                           {{"block", at}, {"paused_s", secs}});
            }
            resumed_logged_ = true;
            unwritable_.store(false);
            return true;
        }
        return false;
    }

    // True from a failure until writes work again: the stop then leaves the
    // write-ahead log alone (RocksDB asserts on a sync of a log whose write
    // failed, and on a read-only or failing disk nothing more reaches it).
    [[nodiscard]] bool unwritable() const { return unwritable_.load(); }

  private:
    storage::Store& store_;
    indexer::LiveStatus& live_;
    std::atomic<bool> unwritable_{false};
    bool failing_{false};
    bool resumed_logged_{false};
    BlockNum failing_at_{0};
    std::chrono::steady_clock::time_point since_;
};

}  // namespace

void setup_logging(const config::Settings& s) {
    auto logger = spdlog::get("erc20-indexer");
    if (!logger) logger = spdlog::stderr_logger_mt("erc20-indexer");
    spdlog::set_default_logger(logger);
    log::set_format(*logger, s.log_format == "json" ? log::Format::kJson : log::Format::kText);
    spdlog::set_level(spdlog::level::from_str(s.log_level));
}

namespace {

std::unique_ptr<storage::Store> open_store(const config::Settings& s) {
    try {
        storage::StoreOptions store_options;
        store_options.block_cache_bytes = s.cache_mb << 20;
        store_options.write_buffer_bytes = s.memtable_mb << 20;
        store_options.ingest_min_transfers = static_cast<size_t>(s.ingest_min_transfers);
        return storage::Store::open(s.db, store_options);
    } catch (const storage::StoreError& e) {
        spdlog::error("{}", e.what());
        return nullptr;
    }
}

// "gcc-12.2.0", "clang-14.0.6": for erc20_build_info (label values without spaces).
std::string compiler_name() {
#if defined(__clang__)
    return "clang-" + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) +
           "." + std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
    return "gcc-" + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
           std::to_string(__GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

// The admin API: quick actions answer on the HTTP thread; long ones become admin jobs.
api::RouterOptions router_options(const config::Settings& s, const std::string& admin_token,
                                  const admin::Context& admin_ctx, admin::Jobs& jobs) {
    api::RouterOptions options;
    options.version = ERC20_INDEXER_VERSION;
    options.ready_max_lag = s.ready_max_lag;
    options.query_cache_bytes = s.query_cache_mb << 20;
    options.admin_token = admin_token;
    options.admin = [&admin_ctx, &jobs](const std::string& action,
                                        const std::map<std::string, std::string>& params) {
        auto prepared = admin::prepare_action(admin_ctx, action, params);
        if (auto* answer = std::get_if<api::AdminAnswer>(&prepared)) return std::move(*answer);
        return jobs.submit(action, std::move(std::get<admin::Task>(prepared)));
    };
    options.admin_job = [&jobs](const std::string& id) { return jobs.get(id); };
    options.cors_origins = s.cors_origins;
    for (auto st :
         {indexer::State::kStarting, indexer::State::kBackfilling, indexer::State::kFollowing,
          indexer::State::kReindexing, indexer::State::kError})
        options.states.emplace_back(indexer::to_string(st));
    options.build_info = {{"version", ERC20_INDEXER_VERSION},
                          {"schema", std::to_string(storage::kSchemaVersion)},
                          {"rocksdb", storage::rocksdb_version()},
                          {"compiler", compiler_name()}};
    return options;
}

indexer::IndexerOptions indexer_options(const config::Settings& s,
                                        const rpc::ClientOptions& rpc_options) {
    indexer::IndexerOptions options;
    options.rpc = rpc_options;
    options.start_block = s.start_block;
    options.confirmations = s.confirmations;
    options.poll_interval = std::chrono::milliseconds(s.poll_interval_ms);
    options.reorg_window = s.reorg_window;
    options.tokens = s.tokens;
    options.max_range = s.max_range;
    options.fetch_workers = static_cast<unsigned>(s.fetch_workers);
    options.write_batch_bytes = static_cast<size_t>(s.write_batch_mb) << 20;
    options.max_backoff = std::chrono::milliseconds(s.rpc_max_backoff_ms);
    return options;
}

// What the indexer knows beyond the database, for the API.
api::StatusProvider status_provider(const indexer::LiveStatus& live, Rate& rate,
                                    const admin::Jobs& jobs) {
    return [&live, &rate, &jobs] {
        api::NodeStatus n;
        n.node_block = live.node_block.load();
        n.state = indexer::to_string(static_cast<indexer::State>(live.state.load()));
        n.node_reachable = live.node_reachable.load();
        n.reorgs_total = live.reorgs_total.load();
        n.deepest_reorg = live.deepest_reorg.load();
        n.transfers_applied = live.transfers_applied.load();
        n.transfers_per_s = rate.per_second();
        n.admin_job = jobs.running();
        const auto state = static_cast<indexer::State>(live.state.load());
        if (state == indexer::State::kBackfilling || state == indexer::State::kReindexing)
            n.progress = live.progress();
        return n;
    };
}

// The indexer's heartbeat: feeds the watchdog, samples the rate, and tells
// systemd the state, block and lag every 2 s.
std::function<void()> heartbeat(const storage::Store& store, const indexer::LiveStatus& live,
                                Rate& rate) {
    auto last_status = std::make_shared<std::chrono::steady_clock::time_point>(
        std::chrono::steady_clock::now() - std::chrono::seconds(10));
    return [&store, &live, &rate, last_status] {
        notify("WATCHDOG=1");
        rate.sample(live.transfers_applied.load());
        auto now = std::chrono::steady_clock::now();
        if (now - *last_status >= std::chrono::seconds(2)) {
            *last_status = now;
            auto cursor = store.cursor();
            uint64_t at = cursor ? cursor->block_num : 0;
            uint64_t node = live.node_block.load();
            notify("STATUS=" +
                   std::string(indexer::to_string(static_cast<indexer::State>(live.state.load()))) +
                   ": block " + std::to_string(at) + ", lag " +
                   std::to_string(node > at ? node - at : 0) + " blocks");
        }
    };
}

void log_indexer_stopped(indexer::LiveStatus& live, const std::exception& e) {
    live.state.store(static_cast<int>(indexer::State::kError));
    spdlog::error("indexer stopped: {}", e.what());
    spdlog::error(
        "the HTTP API keeps serving the last indexed state; a rollback or reindex resumes "
        "ingestion");
}

// The ingestion thread: runs the indexer until a stop; after a storage I/O
// failure waits for the database to be writable again, after any other
// failure until an operator asks for a rollback or reindex.
void ingest(std::stop_token stop, const indexer::IndexerOptions& options, storage::Store& store,
            indexer::LiveStatus& live, indexer::Control& control, StorageRecovery& recovery) {
    while (!stop.stop_requested()) {
        try {
            indexer::Indexer ix(options, store, live, control);
            ix.run(stop);
            return;
        } catch (const storage::StoreError& e) {
            if (e.kind() == storage::StoreError::Kind::kIo) {
                if (recovery.wait_writable(stop, e)) continue;
                if (stop.stop_requested()) return;
            } else {
                log_indexer_stopped(live, e);
            }
        } catch (const std::exception& e) {
            log_indexer_stopped(live, e);
        }
        // Idle until an operator asks for a rollback or reindex; keep the watchdog fed.
        while (!stop.stop_requested() && !control.pending()) {
            notify("WATCHDOG=1");
            control.wait(stop, std::chrono::seconds(5));
        }
    }
}

// The labels of --labels and --non-circulating; nullptr (after the message)
// when either is bad.
std::shared_ptr<api::Labels> load_labels(const config::Settings& s) {
    try {
        auto categories = api::parse_categories(s.non_circulating, "--non-circulating");
        auto set = s.labels_file.empty() ? std::make_shared<const api::LabelSet>()
                                         : api::load_labels(s.labels_file);
        if (!s.labels_file.empty())
            spdlog::info("labels: {} rows from {}", set->rows(), s.labels_file);
        return std::make_shared<api::Labels>(std::move(set), std::move(categories));
    } catch (const api::LabelsError& e) {
        spdlog::error("{}", e.what());
        return nullptr;
    }
}

// SIGHUP's re-read of the labels file (the one the config names now): a bad
// file keeps the labels answered with until then.
void reload_labels(api::Labels& labels, const std::string& path) {
    if (path.empty()) {
        labels.replace(std::make_shared<const api::LabelSet>());
        return;
    }
    try {
        auto set = api::load_labels(path);
        spdlog::info("SIGHUP: labels reloaded, {} rows from {}", set->rows(), path);
        labels.replace(std::move(set));
    } catch (const api::LabelsError& e) {
        spdlog::error("SIGHUP: labels not reloaded, the previous {} rows stay: {}",
                      labels.current().set->rows(), e.what());
    }
}

// Returns on SIGTERM or SIGINT; SIGHUP re-reads the log level, the labels
// file and the read tokens from `args`.
void wait_for_stop(const sigset_t& signals, const std::vector<std::string>& args,
                   api::Labels& labels, api::Access& access, const std::string& admin_token) {
    for (;;) {
        int sig = 0;
        sigwait(&signals, &sig);
        if (sig != SIGHUP) {
            spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        try {
            auto reparsed = config::parse_run_options(args, config::process_env());
            spdlog::set_level(spdlog::level::from_str(reparsed.settings.log_level));
            spdlog::info("SIGHUP: log level is now {}", reparsed.settings.log_level);
            reload_labels(labels, reparsed.settings.labels_file);
            reload_read_tokens(access, reparsed.settings, admin_token);
        } catch (const std::exception& e) {
            spdlog::error("SIGHUP: config not reloaded: {}", e.what());
        }
    }
}

// SIGINT, SIGTERM and SIGHUP, blocked here so that only sigwait in the
// calling thread takes them (threads started later inherit the mask).
sigset_t block_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

// The stop's last write: the WAL synced, unless writes are still failing.
// Returns the exit code.
int final_sync(storage::Store& store, const StorageRecovery& recovery) {
    try {
        if (recovery.unwritable()) {
            spdlog::info(
                "storage: still not writable at the stop; the database holds block {} (nothing "
                "half-applied)",
                store.cursor() ? store.cursor()->block_num : 0);
        } else {
            store.sync();
        }
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return 0;
}

// The admin API's bearer token (empty: the admin API is off); nullopt after
// the message when --admin-token-file cannot be used.
std::optional<std::string> admin_token_of(const config::Settings& s) {
    if (s.admin_token_file.empty()) return std::string();
    std::string problem;
    auto token = read_token(s.admin_token_file, problem);
    if (!token) spdlog::error("{}", problem);
    return token;
}

// What start-up reads besides the database: the admin token, the labels and
// the read tokens; nullopt (the error logged) when one cannot be used.
struct Inputs {
    std::string admin_token;  // empty: the admin API is off
    std::shared_ptr<api::Labels> labels;
    std::shared_ptr<api::Access> access;
};

std::optional<Inputs> read_inputs(const config::Settings& s, unsigned http_threads) {
    auto token = admin_token_of(s);
    if (!token) return std::nullopt;
    Inputs in{std::move(*token), load_labels(s), nullptr};
    if (!in.labels) return std::nullopt;
    auto access = make_access(s, in.admin_token, http_threads);
    if (!access) return std::nullopt;
    in.access = std::move(*access);
    return in;
}

void log_started(const config::Settings& s, unsigned port, bool admin) {
    std::string cors;
    for (const auto& o : s.cors_origins) cors += (cors.empty() ? "" : " ") + o;
    spdlog::info("erc20-indexer {}: database {}, node {}, API on http://{}:{}{}{}",
                 ERC20_INDEXER_VERSION, s.db, s.rpc_url, s.listen_host, port,
                 admin ? ", admin API on" : "", cors.empty() ? "" : ", CORS for " + cors);
}

}  // namespace

int run_daemon(const config::Settings& settings, const std::vector<std::string>& args) {
    config::Settings s = settings;
    setup_logging(s);

    const sigset_t signals = block_signals();

    api::ServerOptions server_options = app::server_options(s);
    const auto inputs = read_inputs(s, server_options.threads);
    if (!inputs) return 2;
    const std::string& admin_token = inputs->admin_token;

    std::unique_ptr<storage::Store> store = open_store(s);
    if (!store) return 1;
    if (auto problem = resolve_scope(*store, s)) {
        spdlog::error("{}", *problem);
        return 2;
    }

    indexer::LiveStatus live;
    indexer::Control control;
    Rate rate;
    admin::Jobs jobs;
    const api::StatusProvider node_status = status_provider(live, rate, jobs);

    rpc::ClientOptions rpc_options;
    rpc_options.url = s.rpc_url;
    rpc_options.timeout = std::chrono::milliseconds(s.rpc_timeout_ms);

    admin::Context admin_ctx{*store,
                             rpc_options,
                             node_status,
                             [&rate] { return rate.per_second(); },
                             [&control](std::optional<BlockNum> to, bool reindex) {
                                 return control.request_rewind(to, reindex).get();
                             },
                             [&control](std::vector<Address> tokens) {
                                 return control.request_add_tokens(std::move(tokens)).get();
                             }};
    api::RouterOptions router_opts = router_options(s, admin_token, admin_ctx, jobs);
    router_opts.labels = inputs->labels;
    router_opts.access = inputs->access;
    api::Router router(*store, node_status, std::move(router_opts));
    api::Server server(server_options, router);
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    log_started(s, server.port(), !admin_token.empty());
    notify("READY=1");

    indexer::IndexerOptions options = indexer_options(s, rpc_options);
    options.heartbeat = heartbeat(*store, live, rate);
    StorageRecovery recovery(*store, live);
    std::jthread ingest_thread([&](std::stop_token stop) {
        ingest(std::move(stop), options, *store, live, control, recovery);
    });

    wait_for_stop(signals, args, *inputs->labels, *inputs->access, admin_token);
    notify("STOPPING=1");
    jobs.request_stop();  // no new jobs; a verify or compaction stops at its next step
    ingest_thread.request_stop();
    ingest_thread.join();
    control.cancel_all("the daemon is stopping");
    jobs.stop();  // a backup finishes; a rollback waiting for the indexer was just refused
    server.stop();
    const int exit_code = final_sync(*store, recovery);
    // The server, the router's pinned snapshots and the store close in
    // reverse order of construction as this scope ends.
    spdlog::info("stopped");
    return exit_code;
}

}  // namespace erc20::app
