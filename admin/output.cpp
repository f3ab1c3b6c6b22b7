#include "admin/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "api/json.hpp"

namespace erc20::admin {
namespace {

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

}  // namespace

// Human output of status (the daemon's /v1/status or the offline answer).
void print_status(simdjson::dom::element doc, std::ostream& out) {
    auto field = [&](const char* k) { return field_text(doc, k); };
    double size = 0;
    if (auto e = doc["db_size_bytes"]; !e.error()) size = double(e.value());
    // A stopped daemon's status has no node_block: the one the command read itself.
    std::string node_block = field("node_block");
    if (auto local = doc["local"]; node_block == "-" && !local.error()) {
        if (const std::string own = field_text(local.value(), "node_block"); own != "-")
            node_block = own + " (read now from --rpc-url)";
    }
    out << "state:        " << field("state") << "\n"
        << "block:        " << field("block") << " (" << field("block_hash") << ")\n"
        << "node block:   " << node_block
        << (field("node_reachable") == "no" ? " (unreachable)" : "") << "\n"
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
        read_field(job["action"], action);
        read_field(job["id"], id);
        read_field(job["elapsed_s"], elapsed);
        out << "admin job:    " << action << " (job " << id << ")";
        if (read_field(job["progress"]["done"], done) &&
            read_field(job["progress"]["total"], total) &&
            read_field(job["progress"]["unit"], unit)) {
            out << ", " << done << " of " << total << " " << unit;
        }
        out << ", running for " << std::lround(elapsed) << " s\n";
    }
}

// Human output of an action's JSON answer; returns the exit code.
int print_answer(const config::CommandOptions& c, unsigned status, const std::string& body,
                 std::ostream& out, std::ostream& err) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
        err << "erc20-indexer: unreadable answer (HTTP " << status << "): " << body << "\n";
        return 1;
    }
    if (status != 200) {
        std::string_view message = "unknown error";
        read_field(doc["error"]["message"], message);
        if (c.json) out << body << "\n";
        else
            err << "erc20-indexer " << c.name << ": " << message << "\n";
        return status == 400 && c.name == "add-tokens" ? 2
                                                       : 1;  // a refused --tokens is a bad option
    }
    if (c.name == "verify") {
        simdjson::dom::array mismatches;
        read_field(doc["mismatches"], mismatches);
        if (c.json) {
            out << body << "\n";
        } else {
            uint64_t checked = 0, tokens = 0, block = 0;
            read_field(doc["checked"], checked);
            read_field(doc["tokens"], tokens);
            read_field(doc["block"], block);
            for (auto m : mismatches) {
                std::string_view token, holder, indexed, chain = "-", error;
                read_field(m["token"], token);
                read_field(m["holder"], holder);
                read_field(m["indexed"], indexed);
                read_field(m["chain"], chain);
                out << "MISMATCH token " << token << " holder " << holder << ": indexed " << indexed
                    << ", balanceOf " << chain;
                if (m["error"].get(error) == simdjson::SUCCESS) out << " (" << error << ")";
                out << "\n";
            }
            out << "verify: block " << block << ", " << tokens << " tokens, " << checked
                << " balances checked, " << mismatches.size() << " mismatches\n";
        }
        return mismatches.size() == 0 ? 0 : 1;
    }
    if (c.json) {
        out << body << "\n";
        return 0;
    }
    auto field = [&](const char* k) { return field_text(doc, k); };
    if (c.name == "status") {
        print_status(doc, out);
    } else if ((c.name == "rollback" || c.name == "reindex") && field("to_block") != "-" &&
               std::stoull(field("to_block")) >= std::stoull(field("from_block"))) {
        out << c.name << ": nothing to undo, the cursor is at block " << field("from_block")
            << "\n";
    } else if (c.name == "rollback" || c.name == "reindex") {
        out << c.name << ": cursor moved from block " << field("from_block") << " to "
            << (field("to_block") == "-" ? std::string("before the first block")
                                         : "block " + field("to_block"))
            << ", " << field("transfers_undone") << " transfers and " << field("tokens_removed")
            << " tokens undone\n";
    } else if (c.name == "add-tokens") {
        simdjson::dom::array tokens;
        read_field(doc["tokens"], tokens);
        out << "add-tokens: indexing " << tokens.size() << " tokens from block "
            << field("from_block") << " to " << field("to_block")
            << ", then following them with the others (state `reindexing` meanwhile)\n";
    } else if (c.name == "backup") {
        out << "backup: " << field("path") << " holds the database at block " << field("block")
            << "; to restore, stop the daemon and copy the folder in place of --db\n";
    } else if (c.name == "compact") {
        out << "compact: " << field("db_size_bytes_before") << " -> "
            << field("db_size_bytes_after") << " bytes\n";
    }
    return 0;
}

std::optional<uint64_t> folder_bytes(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    uint64_t total = 0;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec)) {
            const auto n = it->file_size(size_ec);
            if (!size_ec) total += n;
        }
    }
    return total;
}

std::string with_local(const std::string& body, const LocalFigures& local) {
    const auto close = body.find_last_not_of(" \t\r\n");
    if (body.empty() || body.front() != '{' || close == std::string::npos || body[close] != '}')
        return body;
    api::JsonWriter w;
    w.begin_object().field("source", local.source).field("listen", local.listen);
    w.field("db", local.db);
    if (local.db_dir_bytes) w.field("db_dir_bytes", *local.db_dir_bytes);
    else
        w.field_null("db_dir_bytes");
    if (local.node_block) w.field("node_block", *local.node_block);
    else
        w.field_null("node_block");
    w.end_object();
    const bool empty = body.find_first_not_of(" \t\r\n", 1) == close;
    return body.substr(0, close) + (empty ? "" : ",") + "\"local\":" + w.take() + "}";
}

bool stderr_is_terminal() { return isatty(fileno(stderr)) != 0; }

void ProgressLine::show(uint64_t done, uint64_t total, std::string_view unit, double elapsed_s) {
    char buf[160];
    if (total > 0) {
        std::snprintf(buf, sizeof buf, "%llu of %llu %.*s (%.0f%%), %.0f s",
                      static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                      static_cast<int>(unit.size()), unit.data(),
                      100.0 * static_cast<double>(done) / static_cast<double>(total), elapsed_s);
    } else {
        std::snprintf(buf, sizeof buf, "running, %.0f s", elapsed_s);
    }
    show_text(buf, -1, elapsed_s);
}

void ProgressLine::show_text(const std::string& text, double fraction, double elapsed_s) {
    if (quiet_) return;
    if (terminal_) {
        std::string bar;
        if (fraction >= 0) {
            const auto filled = static_cast<size_t>(std::lround(std::min(1.0, fraction) * 30));
            bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] ";
        }
        out_ << "\r" << name_ << ": " << bar << text << "   " << std::flush;
        open_ = true;
        return;
    }
    if (written_at_ >= 0 && elapsed_s - written_at_ < every_s_) {
        pending_ = text;
        return;
    }
    out_ << name_ << ": " << text << "\n" << std::flush;
    written_at_ = elapsed_s;
    pending_.clear();
}

void ProgressLine::finish() {
    if (open_) out_ << "\n" << std::flush;
    if (!pending_.empty()) out_ << name_ << ": " << pending_ << "\n" << std::flush;
    open_ = false;
    pending_.clear();
}

}  // namespace erc20::admin
