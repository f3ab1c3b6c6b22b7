#include "admin/command.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include <simdjson.h>

#include "admin/actions.hpp"
#include "admin/daemon_client.hpp"
#include "admin/output.hpp"
#include "common/hex.hpp"
#include "storage/store.hpp"

namespace erc20::admin {
namespace {

std::map<std::string, std::string> params_of(const config::CommandOptions& c) {
    std::map<std::string, std::string> p;
    if (c.from_block) p["from_block"] = std::to_string(*c.from_block);
    if (c.to_block) p["to_block"] = std::to_string(*c.to_block);
    if (c.token) p["token"] = to_hex(*c.token);
    if (c.sample) p["sample"] = std::to_string(c.sample);
    if (!c.tokens.empty()) p["tokens"] = to_hex_list(c.tokens);
    if (!c.to.empty()) {
        // The daemon resolves relative paths from its own folder; make them absolute here.
        p["to"] = std::filesystem::absolute(c.to).string();
    }
    return p;
}

// An admin job on the running daemon: polls GET /admin/v1/jobs/{id}, showing
// its progress, until it ends; then prints its result as the action's answer.
int wait_for_job(const config::CommandOptions& c, const std::string& base, const std::string& token,
                 const std::string& accepted) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    uint64_t id = 0;
    if (parser.parse(accepted).get(doc) != simdjson::SUCCESS || !read_field(doc["job"]["id"], id)) {
        std::cerr << "erc20-indexer " << c.name << ": unreadable answer (HTTP 202): " << accepted
                  << "\n";
        return 1;
    }
    ProgressLine line(c);
    for (;;) {
        auto a = http_request("GET", base + "/admin/v1/jobs/" + std::to_string(id), token, 10);
        if (a.status != 200 || parser.parse(a.body).get(doc) != simdjson::SUCCESS) {
            line.finish();
            std::cerr << "erc20-indexer " << c.name << ": lost admin job " << id << " (HTTP "
                      << a.status << ") " << a.error << a.body << "\n";
            return 1;
        }
        auto job = doc["job"];
        std::string_view state;
        read_field(job["state"], state);
        if (state != "running") {
            line.finish();
            uint64_t status = 500;
            read_field(job["result_status"], status);
            return print_answer(c, static_cast<unsigned>(status),
                                simdjson::to_string(job["result"]));
        }
        uint64_t done = 0, total = 0;
        double elapsed = 0;
        std::string_view unit;
        read_field(job["progress"]["done"], done);
        read_field(job["progress"]["total"], total);
        read_field(job["progress"]["unit"], unit);
        read_field(job["elapsed_s"], elapsed);
        line.show(done, total, unit, elapsed);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// What status --json adds of its own: where its figures come from, the
// --db folder as it sees it, and (offline) the node's head it read.
LocalFigures local_figures(const config::Settings& s, const std::string& source,
                           const std::string& base, std::optional<BlockNum> node_block) {
    std::error_code ec;
    auto db = std::filesystem::absolute(s.db, ec);
    return LocalFigures{source, base, ec ? s.db : db.lexically_normal().string(),
                        folder_bytes(s.db), node_block};
}

// status of a running daemon: its public /v1/status (no admin token needed).
int daemon_status(const config::Parsed& parsed, const std::string& base) {
    const auto& c = parsed.command;
    auto a = http_request("GET", base + "/v1/status", "", 10);
    if (a.status == 0) {
        std::cerr << "erc20-indexer status: " << a.error << "\n";
        return 1;
    }
    const std::string body =
        a.status == 200
            ? with_local(a.body, local_figures(parsed.settings, "daemon", base, std::nullopt))
            : a.body;
    return print_answer(c, static_cast<unsigned>(a.status), body);
}

// reindex --wait (and add-tokens --wait): progress until the daemon leaves
// the reindexing state.
int wait_for_reindex(const config::CommandOptions& c, const std::string& base) {
    simdjson::dom::parser parser;
    auto started = std::chrono::steady_clock::now();
    uint64_t first_block = 0;
    bool have_first = false;
    ProgressLine line(c);
    for (;;) {
        auto a = http_request("GET", base + "/v1/status", "", 10);
        simdjson::dom::element doc;
        if (a.status != 200 || parser.parse(a.body).get(doc) != simdjson::SUCCESS) {
            line.finish();
            std::cerr << "erc20-indexer " << c.name << ": the daemon stopped answering (" << a.error
                      << ")\n";
            return 1;
        }
        std::string_view state = "?";
        uint64_t block = 0, node = 0;
        read_field(doc["state"], state);
        read_field(doc["block"], block);
        read_field(doc["node_block"], node);
        if (!have_first) {
            first_block = block;
            have_first = true;
        }
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        double bps =
            secs > 0 ? static_cast<double>(block - std::min(block, first_block)) / secs : 0;
        double frac = node ? static_cast<double>(block) / static_cast<double>(node) : 1.0;
        double eta = bps > 0 ? static_cast<double>(node - std::min(node, block)) / bps : 0;
        char text[128];
        std::snprintf(text, sizeof text, "block %llu of %llu, %.0f blocks/s, ETA %.0f s",
                      static_cast<unsigned long long>(block), static_cast<unsigned long long>(node),
                      bps, eta);
        line.show_text(text, frac, secs);
        if (state != "reindexing" && state != "starting") {
            line.finish();
            if (!c.json)
                std::cerr << c.name << ": caught up at block " << block << " (" << state << ")\n";
            return state == "error" ? 1 : 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

// The daemon runs: the action goes through its admin API (status through
// its public /v1/status).
int run_online(const config::Parsed& parsed, const std::string& base) {
    const auto& s = parsed.settings;
    const auto& c = parsed.command;
    if (c.name == "status") return daemon_status(parsed, base);
    if (s.admin_token_file.empty()) {
        std::cerr << "erc20-indexer " << c.name << ": the daemon is running (" << base
                  << " answers); admin commands need its --admin-token-file to use the admin API\n";
        return 2;
    }
    const auto token = read_token_file(s.admin_token_file);
    if (!token) {
        std::cerr << "erc20-indexer " << c.name << ": cannot read --admin-token-file '"
                  << s.admin_token_file << "'\n";
        return 2;
    }
    std::string q;
    for (const auto& [k, v] : params_of(c)) q += (q.empty() ? "?" : "&") + k + "=" + url_escape(v);
    auto a = http_request("POST", base + "/admin/v1/" + c.name + q, *token, 60);
    if (a.status == 0) {
        std::cerr << "erc20-indexer " << c.name << ": " << a.error << "\n";
        return 1;
    }
    int rc = a.status == 202 ? wait_for_job(c, base, *token, a.body)
                             : print_answer(c, static_cast<unsigned>(a.status), a.body);
    if (rc == 0 && (c.name == "reindex" || c.name == "add-tokens") && c.wait)
        rc = wait_for_reindex(c, base);
    return rc;
}

// The database of a stopped daemon, opened read-write; nullptr (said on stderr) when it cannot be.
std::unique_ptr<storage::Store> open_offline(const config::Parsed& parsed,
                                             const std::string& base) {
    const auto& s = parsed.settings;
    const auto& c = parsed.command;
    try {
        storage::StoreOptions options;
        // Read-write even for status and verify: only that takes RocksDB's lock,
        // which tells a database in use by a daemon on another --listen.
        options.read_only = false;
        if (!std::filesystem::exists(s.db)) {
            std::cerr << "erc20-indexer " << c.name << ": no database at --db " << s.db << "\n";
            return nullptr;
        }
        return storage::Store::open(s.db, options);
    } catch (const storage::StoreError& e) {
        std::cerr
            << "erc20-indexer " << c.name << ": " << e.what() << "\n(nothing answers on " << base
            << "; if the daemon runs with another --listen, pass the same --config or --listen)\n";
        return nullptr;
    }
}

// The node's head, read once (nullopt: it does not answer).
std::optional<BlockNum> read_node_head(const rpc::ClientOptions& rpc_options) {
    rpc::Client client(rpc_options);
    auto head = client.block_number();
    if (!head) return std::nullopt;
    return head.value();
}

// What the actions see of a stopped daemon: state stopped, no node head of
// its own (`node_reachable` from the command's reading), rewinds and
// add-tokens straight on the database.
Context offline_context(storage::Store& store, const rpc::ClientOptions& rpc_options,
                        bool node_reachable) {
    return Context{store,
                   rpc_options,
                   [node_reachable] {
                       api::NodeStatus n;
                       n.state = "stopped";
                       n.node_reachable = node_reachable;
                       return n;
                   },
                   [] { return 0.0; },
                   [&store, rpc_options](std::optional<BlockNum> to, bool) {
                       rpc::Client client(rpc_options);
                       return indexer::rewind(store, client, to);
                   },
                   [&store](std::vector<Address> tokens) {
                       return indexer::begin_add_tokens(store, std::move(tokens));
                   }};
}

// The daemon is not running: the action runs here, on the database directly.
int run_offline(const config::Parsed& parsed, const std::string& base) {
    const auto& s = parsed.settings;
    const auto& c = parsed.command;
    auto store = open_offline(parsed, base);
    if (!store) return 1;
    rpc::ClientOptions rpc_options;
    rpc_options.url = s.rpc_url;
    rpc_options.timeout = std::chrono::milliseconds(std::min<uint64_t>(s.rpc_timeout_ms, 10000));
    const std::optional<BlockNum> node_head =
        c.name == "status" ? read_node_head(rpc_options) : std::nullopt;
    const Context ctx = offline_context(*store, rpc_options, node_head.has_value());
    auto prepared = prepare_action(ctx, c.name, params_of(c));
    api::AdminAnswer answer;
    if (auto* task = std::get_if<Task>(&prepared)) {
        ProgressLine line(c);
        const auto t0 = std::chrono::steady_clock::now();
        answer = (*task)([&](const Progress& p) {
            line.show(p.done, p.total, p.unit,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            return true;
        });
        line.finish();
    } else {
        answer = std::get<api::AdminAnswer>(std::move(prepared));
    }
    if (c.name == "status" && answer.status == 200)
        answer.body = with_local(answer.body, local_figures(s, "database", base, node_head));
    int rc = print_answer(c, answer.status, answer.body);
    if (rc == 0 && c.name == "reindex" && c.wait && !c.json) {
        std::cerr << "reindex: the daemon is not running; blocks are re-ingested when it starts\n";
    }
    if (rc == 0 && c.name == "add-tokens" && !c.json) {
        std::cerr
            << "add-tokens: the daemon is not running; the tokens are indexed when it starts\n";
    }
    return rc;
}

}  // namespace

int run_command(const config::Parsed& parsed) {
    const std::string base = base_url(parsed.settings);
    auto probe = http_request("GET", base + "/healthz", "", 2);
    return probe.status == 200 ? run_online(parsed, base) : run_offline(parsed, base);
}

}  // namespace erc20::admin
