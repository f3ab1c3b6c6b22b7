// erc20-indexer: settings -> modules -> run; signals -> clean stop.

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "api/routes.hpp"
#include "api/server.hpp"
#include "config/settings.hpp"
#include "indexer/indexer.hpp"
#include "storage/store.hpp"

#ifndef ERC20_INDEXER_VERSION
#define ERC20_INDEXER_VERSION "0.0.0"
#endif

namespace {

constexpr const char* kUsage =
    "Usage: erc20-indexer <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run        follow the chain into the database and serve the HTTP API\n"
    "\n"
    "`erc20-indexer <command> --help` lists a command's options.\n"
    "  --help     print this help\n"
    "  --version  print the version\n";

void setup_logging(const erc20::config::Settings& s) {
    auto logger = spdlog::stderr_logger_mt("erc20-indexer");
    spdlog::set_default_logger(logger);
    if (s.log_format == "json") {
        // Messages are plain text without quotes or backslashes except where
        // they quote values; escape-light JSON lines for log shippers.
        spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
    } else {
        spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    }
    spdlog::set_level(spdlog::level::from_str(s.log_level));
}

int run(const erc20::config::Settings& s) {
    using namespace erc20;
    setup_logging(s);

    // Signals are taken by sigwait in the main thread only.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::unique_ptr<storage::Store> store;
    try {
        store = storage::Store::open(s.db, {});
    } catch (const storage::StoreError& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

    indexer::LiveStatus live;
    api::Router router(*store, [&live] {
        api::NodeStatus n;
        n.node_block = live.node_block.load();
        n.state = indexer::to_string(static_cast<indexer::State>(live.state.load()));
        n.node_reachable = live.node_reachable.load();
        n.reorgs_total = live.reorgs_total.load();
        n.deepest_reorg = live.deepest_reorg.load();
        n.transfers_applied = live.transfers_applied.load();
        return n;
    }, api::RouterOptions{ERC20_INDEXER_VERSION, s.ready_max_lag});
    api::ServerOptions server_options;
    server_options.host = s.listen_host;
    server_options.port = s.listen_port;
    api::Server server(server_options, router);
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    spdlog::info("erc20-indexer {}: database {}, node {}, API on http://{}:{}", ERC20_INDEXER_VERSION, s.db, s.rpc_url,
                 s.listen_host, server.port());

    indexer::IndexerOptions options;
    options.rpc.url = s.rpc_url;
    options.rpc.timeout = std::chrono::milliseconds(s.rpc_timeout_ms);
    options.start_block = s.start_block;
    options.confirmations = s.confirmations;
    options.poll_interval = std::chrono::milliseconds(s.poll_interval_ms);
    options.reorg_window = s.reorg_window;
    options.tokens = s.tokens;
    options.max_range = s.max_range;
    options.fetch_workers = static_cast<unsigned>(s.fetch_workers);

    int exit_code = 0;
    std::jthread ingest([&](std::stop_token stop) {
        try {
            indexer::Indexer ix(options, *store, live);
            ix.run(stop);
        } catch (const std::exception& e) {
            live.state.store(static_cast<int>(indexer::State::kError));
            spdlog::error("indexer stopped: {}", e.what());
            spdlog::error("the HTTP API keeps serving the last indexed state");
        }
    });

    for (;;) {
        int sig = 0;
        sigwait(&signals, &sig);
        if (sig == SIGHUP) {
            spdlog::info("SIGHUP: nothing to reload yet");
            continue;
        }
        spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    ingest.request_stop();
    ingest.join();
    server.stop();
    try {
        store->sync();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        exit_code = 1;
    }
    // The server, the router's pinned snapshots and the store close in
    // reverse order of construction as this scope ends.
    spdlog::info("stopped");
    return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "erc20-indexer " << ERC20_INDEXER_VERSION << "\n";
        return 0;
    }
    if (args[0] != "run") {
        std::cerr << "erc20-indexer: unknown command '" << args[0] << "'\n\n" << kUsage;
        return 2;
    }
    try {
        auto parsed = erc20::config::parse_run_options({args.begin() + 1, args.end()}, erc20::config::process_env());
        if (parsed.action == erc20::config::Action::kHelp) {
            std::cout << parsed.help;
            return 0;
        }
        if (parsed.action == erc20::config::Action::kVersion) {
            std::cout << "erc20-indexer " << ERC20_INDEXER_VERSION << "\n";
            return 0;
        }
        return run(parsed.settings);
    } catch (const erc20::config::ConfigError& e) {
        std::cerr << "erc20-indexer: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "erc20-indexer: " << e.what() << "\n";
        return 1;
    }
}
