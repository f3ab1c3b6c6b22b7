#include "config/settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/program_options.hpp>

#include "common/hex.hpp"

namespace erc20::config {
namespace po = boost::program_options;
namespace {

// Every option: name, default (as text), help. All are read as text and
// validated here, so that "-1" never wraps into a huge unsigned number.
struct OptionSpec {
    const char* name;
    const char* fallback;
    const char* help;
};

const std::vector<OptionSpec> kOptions{
    {"rpc-url", "http://127.0.0.1:8545", "JSON-RPC URL of the Ethereum node"},
    {"db", "./data", "RocksDB folder (created if missing)"},
    {"listen", "127.0.0.1:8547", "HOST:PORT of the HTTP query API"},
    {"start-block", "0", "first block to index in a new database"},
    {"confirmations", "0", "stay this many blocks behind the node's head"},
    {"poll-interval-ms", "2000", "how often to ask the node for new blocks once at the head"},
    {"reorg-window", "256", "recent block hashes kept to detect and undo reorgs"},
    {"tokens", "", "comma-separated token addresses to index (default: every token)"},
    {"admin-token-file", "", "file holding the admin API bearer token (admin API off unless set)"},
    {"log-level", "info", "trace, debug, info, warn or error"},
    {"log-format", "text", "text or json"},
    {"max-range", "2000", "most blocks per eth_getLogs request (shrinks when the node refuses)"},
    {"fetch-workers", "4", "block ranges fetched in parallel during backfill"},
    {"rpc-timeout-ms", "30000", "timeout of one JSON-RPC call"},
    {"rpc-max-backoff-ms", "30000", "longest wait between retries of a failed call (exponential with jitter from 200 ms)"},
    {"ready-max-lag", "64", "/readyz answers 503 while the lag exceeds this many blocks"},
    {"cache-mb", "256", "RocksDB block cache, MiB"},
    {"memtable-mb", "256", "RocksDB write buffers of all column families together, MiB"},
    {"write-batch-mb", "128", "during backfill, consecutive ranges are written together in batches of up to this many MiB"},
    {"ingest-min-transfers", "20000", "a batch of at least this many transfers is written as table files ingested into RocksDB instead of through its memtables"},
};

std::string env_name(const std::string& option) {
    std::string s = "ERC20_INDEXER_";
    for (char c : option) s.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return s;
}

uint64_t number(const std::string& option, const std::string& value, uint64_t min, uint64_t max) {
    auto n = parse_decimal_u64(value);
    if (!n || *n < min || *n > max) {
        throw ConfigError("invalid value '" + value + "' for --" + option + ": expected an integer from " +
                          std::to_string(min) + " to " + std::to_string(max));
    }
    return *n;
}

void parse_listen(const std::string& value, Settings& s) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw ConfigError("invalid value '" + value + "' for --listen: expected HOST:PORT, e.g. 127.0.0.1:8547");
    }
    std::string host = value.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    s.listen_host = host;
    s.listen_port = static_cast<uint16_t>(number("listen", value.substr(colon + 1), 0, 65535));
}

void parse_url(const std::string& value, Settings& s) {
    if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
        throw ConfigError("invalid value '" + value + "' for --rpc-url: expected an http:// or https:// URL");
    }
    s.rpc_url = value;
}

void parse_tokens(const std::string& value, Settings& s) {
    s.tokens.clear();
    std::stringstream ss(value);
    std::string item;
    while (std::getline(ss, item, ',')) {
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (item.empty()) continue;
        auto a = parse_address(item);
        if (!a) throw ConfigError("invalid value '" + item + "' in --tokens: expected 0x followed by 40 hex digits");
        s.tokens.push_back(*a);
    }
}

// The message of a Program_options error. Boost 1.74's
// error_with_option_name::what() replaces each "%placeholder%" in its message
// until none is left, so an option name (from the command line or a config
// file) that itself holds "%canonical_option%" made it loop forever: the name
// goes in with its '%' shown as '?'.
std::string message_of(po::error& e) {
    if (auto* named = dynamic_cast<po::error_with_option_name*>(&e)) {
        std::string name = named->get_option_name();
        std::replace(name.begin(), name.end(), '%', '?');
        named->set_option_name(name);
        named->set_substitute("original_token", name);
    }
    return e.what();
}

void apply(const std::string& name, const std::string& value, Settings& s) {
    if (name == "rpc-url") parse_url(value, s);
    else if (name == "db") {
        if (value.empty()) throw ConfigError("invalid value '' for --db: expected a folder path");
        s.db = value;
    } else if (name == "listen") parse_listen(value, s);
    else if (name == "start-block") s.start_block = number(name, value, 0, ~uint64_t{0} >> 1);
    else if (name == "confirmations") s.confirmations = number(name, value, 0, 1'000'000);
    else if (name == "poll-interval-ms") s.poll_interval_ms = number(name, value, 10, 3'600'000);
    else if (name == "reorg-window") s.reorg_window = number(name, value, 1, 1'000'000);
    else if (name == "tokens") parse_tokens(value, s);
    else if (name == "admin-token-file") s.admin_token_file = value;
    else if (name == "log-level") {
        if (value != "trace" && value != "debug" && value != "info" && value != "warn" && value != "error") {
            throw ConfigError("invalid value '" + value + "' for --log-level: expected trace, debug, info, warn or error");
        }
        s.log_level = value;
    } else if (name == "log-format") {
        if (value != "text" && value != "json") {
            throw ConfigError("invalid value '" + value + "' for --log-format: expected text or json");
        }
        s.log_format = value;
    } else if (name == "max-range") s.max_range = number(name, value, 1, 1'000'000);
    else if (name == "fetch-workers") s.fetch_workers = number(name, value, 1, 64);
    else if (name == "rpc-timeout-ms") s.rpc_timeout_ms = number(name, value, 100, 3'600'000);
    else if (name == "rpc-max-backoff-ms") s.rpc_max_backoff_ms = number(name, value, 200, 3'600'000);
    else if (name == "ready-max-lag") s.ready_max_lag = number(name, value, 0, 1'000'000'000);
    else if (name == "cache-mb") s.cache_mb = number(name, value, 8, 1'048'576);
    else if (name == "memtable-mb") s.memtable_mb = number(name, value, 16, 1'048'576);
    else if (name == "write-batch-mb") s.write_batch_mb = number(name, value, 1, 65'536);
    else if (name == "ingest-min-transfers") s.ingest_min_transfers = number(name, value, 1, 1'000'000'000);
}

}  // namespace

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

namespace {

// Options of the admin commands, beside the shared ones.
struct CommandSpec {
    const char* name;
    const char* usage;
    const char* summary;
    std::vector<OptionSpec> options;  // fallback "" = no value (a flag); "!" = required
};

const std::vector<CommandSpec> kCommands{
    {"run", "", "follow the chain into the database and serve the HTTP API", {}},
    {"status", "", "where the index is: head, node head, lag, state, transfers/s, database size",
     {{"json", "", "print JSON for scripts"}}},
    {"reindex", "--from-block N [--wait]", "rewind derived state to before block N and re-ingest from N",
     {{"from-block", "!", "first block to re-ingest"},
      {"wait", "", "show progress until caught up again"},
      {"json", "", "print JSON for scripts"}}},
    {"rollback", "--to-block N", "undo every block after N, then resume following",
     {{"to-block", "!", "last block to keep"}, {"json", "", "print JSON for scripts"}}},
    {"verify", "[--token T] [--sample N]",
     "compare indexed balances with balanceOf at the indexed head; exit 1 on any mismatch",
     {{"token", "", "only this token"},
      {"sample", "0", "holders per token to check, chosen at random (0: all)"},
      {"json", "", "print JSON for scripts"}}},
    {"backup", "--to DIR", "write a consistent copy (RocksDB checkpoint) of the database to DIR",
     {{"to", "!", "folder to create (must not exist)"}, {"json", "", "print JSON for scripts"}}},
    {"compact", "", "full compaction of the database", {{"json", "", "print JSON for scripts"}}},
};

const CommandSpec* find_command(const std::string& name) {
    for (const auto& c : kCommands) {
        if (name == c.name) return &c;
    }
    return nullptr;
}

}  // namespace

std::string commands_help() {
    std::string out;
    for (const auto& c : kCommands) {
        std::string head = std::string("  ") + c.name;
        head.resize(12, ' ');
        out += head + c.summary + "\n";
    }
    return out;
}

Parsed parse_run_options(const std::vector<std::string>& args, const EnvLookup& env) {
    return parse_options("run", args, env);
}

Parsed parse_options(const std::string& command, const std::vector<std::string>& args, const EnvLookup& env) {
    const CommandSpec* spec = find_command(command);
    if (!spec) throw ConfigError("unknown command '" + command + "'");
    po::options_description desc("Options of `erc20-indexer " + command + "`");
    desc.add_options()("help,h", "print this help and exit")("version", "print the version and exit");
    for (const auto& o : spec->options) {
        if (std::string_view(o.fallback).empty() && std::string_view(o.name) != "token") {
            desc.add_options()(o.name, o.help);
        } else {
            desc.add_options()(o.name, po::value<std::string>(), o.help);
        }
    }
    desc.add_options()("config", po::value<std::string>()->value_name("FILE"),
                       "INI file with any of the options below (key = value)");
    po::options_description values;
    for (const auto& o : kOptions) {
        values.add_options()(o.name, po::value<std::string>(), o.help);
        desc.add_options()(o.name, po::value<std::string>()->value_name(std::string("(") + o.fallback + ")"), o.help);
    }

    Parsed out;
    po::variables_map cmdline;
    try {
        po::store(po::command_line_parser(args).options(desc).run(), cmdline);
    } catch (po::error& e) {
        throw ConfigError(message_of(e) + " (see `erc20-indexer " + command + " --help`)");
    }
    if (cmdline.count("help")) {
        std::ostringstream ss;
        ss << "Usage: erc20-indexer " << command << " " << spec->usage << (std::string_view(spec->usage).empty() ? "" : " ")
           << "[options]\n\n" << spec->summary << ".\n";
        if (command != "run") {
            ss << "\nWith the daemon running (its --listen answers), the command goes through its admin\n"
               << "API with the bearer token from --admin-token-file; with the daemon stopped, it opens\n"
               << "the --db folder directly.\n";
        }
        ss << "\n"
           << "Each option can also come from the environment as ERC20_INDEXER_<OPTION> (e.g.\n"
           << "ERC20_INDEXER_RPC_URL) or from the --config file; the command line wins, then the\n"
           << "environment, then the file, then the default shown in parentheses.\n\n"
           << desc;
        out.action = Action::kHelp;
        out.help = ss.str();
        return out;
    }
    if (cmdline.count("version")) {
        out.action = Action::kVersion;
        return out;
    }

    // Merge: command line > environment > file > default.
    std::map<std::string, std::string> merged;
    std::string config_file;
    if (cmdline.count("config")) config_file = cmdline["config"].as<std::string>();
    else if (auto v = env("ERC20_INDEXER_CONFIG")) config_file = *v;

    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) throw ConfigError("cannot read --config file '" + config_file + "'");
        po::variables_map file;
        try {
            po::store(po::parse_config_file(in, values, false), file);
        } catch (po::error& e) {
            throw ConfigError("in --config file '" + config_file + "': " + message_of(e));
        }
        for (const auto& [k, v] : file) merged[k] = v.as<std::string>();
    }
    for (const auto& o : kOptions) {
        if (auto v = env(env_name(o.name))) merged[o.name] = *v;
    }
    for (const auto& o : kOptions) {
        if (cmdline.count(o.name)) merged[o.name] = cmdline[o.name].as<std::string>();
    }

    Settings s;
    s.config_file = config_file;
    for (const auto& [k, v] : merged) apply(k, v, s);
    out.settings = std::move(s);

    CommandOptions& c = out.command;
    c.name = command;
    c.json = cmdline.count("json") > 0;
    c.wait = cmdline.count("wait") > 0;
    for (const auto& o : spec->options) {
        if (std::string_view(o.fallback) == "!" && !cmdline.count(o.name)) {
            throw ConfigError("`erc20-indexer " + command + "` needs --" + o.name + " (see --help)");
        }
    }
    auto text = [&](const char* name) -> std::optional<std::string> {
        if (!cmdline.count(name)) return std::nullopt;
        return cmdline[name].as<std::string>();
    };
    if (auto v = text("from-block")) c.from_block = number("from-block", *v, 0, ~uint64_t{0} >> 1);
    if (auto v = text("to-block")) c.to_block = number("to-block", *v, 0, ~uint64_t{0} >> 1);
    if (auto v = text("sample")) c.sample = number("sample", *v, 0, 1'000'000'000);
    if (auto v = text("to")) {
        if (v->empty()) throw ConfigError("invalid value '' for --to: expected a folder path");
        c.to = *v;
    }
    if (auto v = text("token")) {
        auto a = parse_address(*v);
        if (!a) throw ConfigError("invalid value '" + *v + "' for --token: expected 0x followed by 40 hex digits");
        c.token = *a;
    }
    return out;
}

}  // namespace erc20::config
