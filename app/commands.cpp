#include "app/commands.hpp"

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <curl/curl.h>
#include <simdjson.h>

#include "app/admin.hpp"
#include "app/daemon.hpp"
#include "common/hex.hpp"
#include "storage/store.hpp"

namespace erc20::app {
namespace {

// Reads a JSON field into `out` when present and of the right type.
template <class T>
bool read(simdjson::simdjson_result<simdjson::dom::element> field, T& out) {
    return field.get(out) == simdjson::SUCCESS;
}

struct HttpAnswer {
    long status{0};  // 0: no connection
    std::string body;
    std::string error;
};

size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

HttpAnswer http(const std::string& method, const std::string& url, const std::string& token, long timeout_s) {
    HttpAnswer a;
    CURL* curl = curl_easy_init();
    if (!curl) {
        a.error = "curl_easy_init failed";
        return a;
    }
    curl_slist* headers = nullptr;
    std::string auth = "Authorization: Bearer " + token;
    if (!token.empty()) headers = curl_slist_append(headers, auth.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
    else a.error = curl_easy_strerror(rc);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return a;
}

std::string base_url(const config::Settings& s) {
    std::string host = s.listen_host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(s.listen_port);
}

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

std::string human_bytes(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
    return buf;
}

// A field of an answer as text: "-" when missing or null.
std::string field_text(simdjson::dom::element doc, const char* k) {
    auto e = doc[k];
    if (e.error()) return "-";
    auto v = e.value();
    if (v.is_null()) return "-";
    if (v.is_string()) return std::string(std::string_view(v));
    if (v.is_uint64()) return std::to_string(uint64_t(v));
    if (v.is_int64()) return std::to_string(int64_t(v));
    if (v.is_double()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", double(v));
        return buf;
    }
    if (v.is_bool()) return bool(v) ? "yes" : "no";
    return simdjson::to_string(v);
}

// Human output of status (the daemon's /v1/status or the offline answer).
void print_status(simdjson::dom::element doc) {
    auto field = [&](const char* k) { return field_text(doc, k); };
    double size = 0;
    if (auto e = doc["db_size_bytes"]; !e.error()) size = double(e.value());
    std::cout << "state:        " << field("state") << "\n"
              << "block:        " << field("block") << " (" << field("block_hash") << ")\n"
              << "node block:   " << field("node_block") << (field("node_reachable") == "no" ? " (unreachable)" : "")
              << "\n"
              << "lag:          " << field("lag_blocks") << " blocks\n"
              << "transfers/s:  " << field("transfers_per_s") << " (last minute)\n"
              << "tokens:       " << field("tokens") << "\n"
              << "transfers:    " << field("transfers") << "\n"
              << "database:     " << human_bytes(size) << " on disk\n";
    if (auto job = doc["admin_job"]; !job.error() && job.value().is_object()) {
        std::string_view action;
        uint64_t id = 0, done = 0, total = 0;
        double elapsed = 0;
        std::string_view unit;
        read(job["action"], action);
        read(job["id"], id);
        read(job["elapsed_s"], elapsed);
        std::cout << "admin job:    " << action << " (job " << id << ")";
        if (read(job["progress"]["done"], done) && read(job["progress"]["total"], total) &&
            read(job["progress"]["unit"], unit)) {
            std::cout << ", " << done << " of " << total << " " << unit;
        }
        std::cout << ", running for " << std::lround(elapsed) << " s\n";
    }
}

// Human output of an action's JSON answer; returns the exit code.
int print_answer(const config::CommandOptions& c, unsigned status, const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
        std::cerr << "erc20-indexer: unreadable answer (HTTP " << status << "): " << body << "\n";
        return 1;
    }
    if (status != 200) {
        std::string_view message = "unknown error";
        read(doc["error"]["message"], message);
        if (c.json) std::cout << body << "\n";
        else std::cerr << "erc20-indexer " << c.name << ": " << message << "\n";
        return status == 400 && c.name == "add-tokens" ? 2 : 1;  // a refused --tokens is a bad option
    }
    if (c.name == "verify") {
        simdjson::dom::array mismatches;
        read(doc["mismatches"], mismatches);
        if (c.json) {
            std::cout << body << "\n";
        } else {
            uint64_t checked = 0, tokens = 0, block = 0;
            read(doc["checked"], checked);
            read(doc["tokens"], tokens);
            read(doc["block"], block);
            for (auto m : mismatches) {
                std::string_view token, holder, indexed, chain = "-", error;
                read(m["token"], token);
                read(m["holder"], holder);
                read(m["indexed"], indexed);
                read(m["chain"], chain);
                std::cout << "MISMATCH token " << token << " holder " << holder << ": indexed " << indexed
                          << ", balanceOf " << chain;
                if (m["error"].get(error) == simdjson::SUCCESS) std::cout << " (" << error << ")";
                std::cout << "\n";
            }
            std::cout << "verify: block " << block << ", " << tokens << " tokens, " << checked << " balances checked, "
                      << mismatches.size() << " mismatches\n";
        }
        return mismatches.size() == 0 ? 0 : 1;
    }
    if (c.json) {
        std::cout << body << "\n";
        return 0;
    }
    auto field = [&](const char* k) { return field_text(doc, k); };
    if (c.name == "status") {
        print_status(doc);
    } else if ((c.name == "rollback" || c.name == "reindex") && field("to_block") != "-" &&
               std::stoull(field("to_block")) >= std::stoull(field("from_block"))) {
        std::cout << c.name << ": nothing to undo, the cursor is at block " << field("from_block") << "\n";
    } else if (c.name == "rollback" || c.name == "reindex") {
        std::cout << c.name << ": cursor moved from block " << field("from_block") << " to "
                  << (field("to_block") == "-" ? std::string("before the first block") : "block " + field("to_block"))
                  << ", " << field("transfers_undone") << " transfers and " << field("tokens_removed")
                  << " tokens undone\n";
    } else if (c.name == "add-tokens") {
        simdjson::dom::array tokens;
        read(doc["tokens"], tokens);
        std::cout << "add-tokens: indexing " << tokens.size() << " tokens from block " << field("from_block") << " to "
                  << field("to_block") << ", then following them with the others (state `reindexing` meanwhile)\n";
    } else if (c.name == "backup") {
        std::cout << "backup: " << field("path") << " holds the database at block " << field("block")
                  << "; to restore, stop the daemon and copy the folder in place of --db\n";
    } else if (c.name == "compact") {
        std::cout << "compact: " << field("db_size_bytes_before") << " -> " << field("db_size_bytes_after")
                  << " bytes\n";
    }
    return 0;
}

// A long action's progress on stderr, one line rewritten in place (nothing
// with --json); finish() ends the line.
class ProgressLine {
  public:
    explicit ProgressLine(const config::CommandOptions& c) : name_(c.name), quiet_(c.json) {}
    void show(uint64_t done, uint64_t total, std::string_view unit, double elapsed_s) {
        if (quiet_) return;
        if (total > 0) {
            std::fprintf(stderr, "\r%s: %llu of %llu %.*s (%.0f%%), %.0f s   ", name_.c_str(),
                         static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                         static_cast<int>(unit.size()), unit.data(),
                         100.0 * static_cast<double>(done) / static_cast<double>(total), elapsed_s);
        } else {
            std::fprintf(stderr, "\r%s: running, %.0f s   ", name_.c_str(), elapsed_s);
        }
        shown_ = true;
    }
    void finish() {
        if (shown_) std::fputs("\n", stderr);
        shown_ = false;
    }

  private:
    std::string name_;
    bool quiet_;
    bool shown_ = false;
};

// An admin job on the running daemon: polls GET /admin/v1/jobs/{id}, showing
// its progress, until it ends; then prints its result as the action's answer.
int wait_for_job(const config::CommandOptions& c, const std::string& base, const std::string& token,
                 const std::string& accepted) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    uint64_t id = 0;
    if (parser.parse(accepted).get(doc) != simdjson::SUCCESS || !read(doc["job"]["id"], id)) {
        std::cerr << "erc20-indexer " << c.name << ": unreadable answer (HTTP 202): " << accepted << "\n";
        return 1;
    }
    ProgressLine line(c);
    for (;;) {
        auto a = http("GET", base + "/admin/v1/jobs/" + std::to_string(id), token, 10);
        if (a.status != 200 || parser.parse(a.body).get(doc) != simdjson::SUCCESS) {
            line.finish();
            std::cerr << "erc20-indexer " << c.name << ": lost admin job " << id << " (HTTP " << a.status << ") "
                      << a.error << a.body << "\n";
            return 1;
        }
        auto job = doc["job"];
        std::string_view state;
        read(job["state"], state);
        if (state != "running") {
            line.finish();
            uint64_t status = 500;
            read(job["result_status"], status);
            return print_answer(c, static_cast<unsigned>(status), simdjson::to_string(job["result"]));
        }
        uint64_t done = 0, total = 0;
        double elapsed = 0;
        std::string_view unit;
        read(job["progress"]["done"], done);
        read(job["progress"]["total"], total);
        read(job["progress"]["unit"], unit);
        read(job["elapsed_s"], elapsed);
        line.show(done, total, unit, elapsed);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// status of a running daemon: its public /v1/status (no admin token needed).
int daemon_status(const config::CommandOptions& c, const std::string& base) {
    auto a = http("GET", base + "/v1/status", "", 10);
    if (a.status == 0) {
        std::cerr << "erc20-indexer status: " << a.error << "\n";
        return 1;
    }
    return print_answer(c, static_cast<unsigned>(a.status), a.body);
}

// reindex --wait: a progress bar until the daemon leaves the reindexing state.
int wait_for_reindex(const std::string& base, bool json) {
    simdjson::dom::parser parser;
    auto started = std::chrono::steady_clock::now();
    uint64_t first_block = 0;
    bool have_first = false;
    for (;;) {
        auto a = http("GET", base + "/v1/status", "", 10);
        simdjson::dom::element doc;
        if (a.status != 200 || parser.parse(a.body).get(doc) != simdjson::SUCCESS) {
            std::cerr << "\nerc20-indexer reindex: the daemon stopped answering (" << a.error << ")\n";
            return 1;
        }
        std::string_view state = "?";
        uint64_t block = 0, node = 0;
        read(doc["state"], state);
        read(doc["block"], block);
        read(doc["node_block"], node);
        if (!have_first) {
            first_block = block;
            have_first = true;
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        double bps = secs > 0 ? static_cast<double>(block - std::min(block, first_block)) / secs : 0;
        if (!json) {
            double frac = node ? static_cast<double>(block) / static_cast<double>(node) : 1.0;
            int filled = static_cast<int>(std::lround(std::min(1.0, frac) * 30));
            double eta = bps > 0 ? static_cast<double>(node - std::min(node, block)) / bps : 0;
            std::fprintf(stderr, "\r[%s%s] block %llu of %llu  %.0f blocks/s  ETA %.0fs   ",
                         std::string(static_cast<size_t>(filled), '#').c_str(),
                         std::string(static_cast<size_t>(30 - filled), '.').c_str(), static_cast<unsigned long long>(block),
                         static_cast<unsigned long long>(node), bps, eta);
        }
        if (state != "reindexing" && state != "starting") {
            if (!json) std::fprintf(stderr, "\nreindex: caught up at block %llu (%s)\n", static_cast<unsigned long long>(block), std::string(state).c_str());
            return state == "error" ? 1 : 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace

int run_command(const config::Parsed& parsed) {
    const auto& s = parsed.settings;
    const auto& c = parsed.command;
    const std::string base = base_url(s);
    auto probe = http("GET", base + "/healthz", "", 2);
    if (probe.status == 200) {
        if (c.name == "status") return daemon_status(c, base);
        // The daemon runs: go through its admin API.
        if (s.admin_token_file.empty()) {
            std::cerr << "erc20-indexer " << c.name << ": the daemon is running (" << base
                      << " answers); admin commands need its --admin-token-file to use the admin API\n";
            return 2;
        }
        std::ifstream in(s.admin_token_file);
        std::string token;
        if (!in || !std::getline(in, token)) {
            std::cerr << "erc20-indexer " << c.name << ": cannot read --admin-token-file '" << s.admin_token_file << "'\n";
            return 2;
        }
        while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
        auto p = params_of(c);
        std::string q;
        for (const auto& [k, v] : p) {
            char* escaped = curl_easy_escape(nullptr, v.c_str(), static_cast<int>(v.size()));
            q += (q.empty() ? "?" : "&") + k + "=" + (escaped ? escaped : v);
            curl_free(escaped);
        }
        auto a = http("POST", base + "/admin/v1/" + c.name + q, token, 60);
        if (a.status == 0) {
            std::cerr << "erc20-indexer " << c.name << ": " << a.error << "\n";
            return 1;
        }
        int rc = a.status == 202 ? wait_for_job(c, base, token, a.body)
                                 : print_answer(c, static_cast<unsigned>(a.status), a.body);
        if (rc == 0 && (c.name == "reindex" || c.name == "add-tokens") && c.wait) rc = wait_for_reindex(base, c.json);
        return rc;
    }

    // The daemon is not running: open the database directly.
    config::Settings quiet = s;
    quiet.log_level = "warn";
    setup_logging(quiet);
    std::unique_ptr<storage::Store> store;
    try {
        storage::StoreOptions options;
        // Read-write even for status and verify: only that takes RocksDB's lock,
        // which tells a database in use by a daemon on another --listen.
        options.read_only = false;
        if (!std::filesystem::exists(s.db)) {
            std::cerr << "erc20-indexer " << c.name << ": no database at --db " << s.db << "\n";
            return 1;
        }
        store = storage::Store::open(s.db, options);
    } catch (const storage::StoreError& e) {
        std::cerr << "erc20-indexer " << c.name << ": " << e.what()
                  << "\n(nothing answers on " << base
                  << "; if the daemon runs with another --listen, pass the same --config or --listen)\n";
        return 1;
    }
    rpc::ClientOptions rpc_options;
    rpc_options.url = s.rpc_url;
    rpc_options.timeout = std::chrono::milliseconds(std::min<uint64_t>(s.rpc_timeout_ms, 10000));
    AdminContext ctx{*store, rpc_options,
                     [&] {
                         api::NodeStatus n;
                         n.state = "stopped";
                         rpc::Client client(rpc_options);
                         auto head = client.block_number();
                         n.node_reachable = head.ok();
                         if (head) n.node_block = head.value();
                         return n;
                     },
                     [] { return 0.0; },
                     [&](std::optional<BlockNum> to, bool) {
                         rpc::Client client(rpc_options);
                         return indexer::rewind(*store, client, to);
                     },
                     [&](std::vector<Address> tokens) { return indexer::begin_add_tokens(*store, std::move(tokens)); }};
    auto prepared = prepare_action(ctx, c.name, params_of(c));
    api::AdminAnswer answer;
    if (auto* task = std::get_if<AdminTask>(&prepared)) {
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
    int rc = print_answer(c, answer.status, answer.body);
    if (rc == 0 && c.name == "reindex" && c.wait && !c.json) {
        std::cerr << "reindex: the daemon is not running; blocks are re-ingested when it starts\n";
    }
    if (rc == 0 && c.name == "add-tokens" && !c.json) {
        std::cerr << "add-tokens: the daemon is not running; the tokens are indexed when it starts\n";
    }
    return rc;
}

}  // namespace erc20::app
