#include "config/settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string_view>

#include <boost/program_options.hpp>

#include "common/hex.hpp"

namespace erc20::config {
namespace po = boost::program_options;
namespace {

const std::span<const OptionSpec> kOptions = option_table();

std::string env_name(const std::string& option) {
    std::string s = "ERC20_INDEXER_";
    for (char c : option)
        s.push_back(c == '-' ? '_'
                             : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return s;
}

uint64_t number(const std::string& option, const std::string& value, uint64_t min, uint64_t max) {
    auto n = parse_decimal_u64(value);
    if (!n || *n < min || *n > max) {
        throw ConfigError("invalid value '" + value + "' for --" + option +
                          ": expected an integer from " + std::to_string(min) + " to " +
                          std::to_string(max));
    }
    return *n;
}

void parse_listen(const std::string& value, Settings& s) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw ConfigError("invalid value '" + value +
                          "' for --listen: expected HOST:PORT, e.g. 127.0.0.1:8547");
    }
    std::string host = value.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    s.listen_host = host;
    s.listen_port = static_cast<uint16_t>(number("listen", value.substr(colon + 1), 0, 65535));
}

void parse_url(const std::string& value, Settings& s) {
    if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
        throw ConfigError("invalid value '" + value +
                          "' for --rpc-url: expected an http:// or https:// URL");
    }
    s.rpc_url = value;
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

// The integer options: name, field, smallest and largest value.
struct IntegerOption {
    const char* name;
    uint64_t Settings::*field;
    uint64_t min;
    uint64_t max;
};
const IntegerOption kIntegerOptions[] = {
    {"start-block", &Settings::start_block, 0, ~uint64_t{0} >> 1},
    {"confirmations", &Settings::confirmations, 0, 1'000'000},
    {"poll-interval-ms", &Settings::poll_interval_ms, 10, 3'600'000},
    {"reorg-window", &Settings::reorg_window, 1, 1'000'000},
    {"max-range", &Settings::max_range, 1, 1'000'000},
    {"fetch-workers", &Settings::fetch_workers, 1, 64},
    {"rpc-timeout-ms", &Settings::rpc_timeout_ms, 100, 3'600'000},
    {"rpc-max-backoff-ms", &Settings::rpc_max_backoff_ms, 200, 3'600'000},
    {"ready-max-lag", &Settings::ready_max_lag, 0, 1'000'000'000},
    {"cache-mb", &Settings::cache_mb, 8, 1'048'576},
    {"query-cache-mb", &Settings::query_cache_mb, 0, 1'048'576},
    {"memtable-mb", &Settings::memtable_mb, 16, 1'048'576},
    {"write-batch-mb", &Settings::write_batch_mb, 1, 65'536},
    {"ingest-min-transfers", &Settings::ingest_min_transfers, 1, 1'000'000'000},
    {"rate-burst", &Settings::rate_burst, 0, 1'000'000},
    {"max-expensive-concurrency", &Settings::max_expensive, 0, 1024},
    {"max-connections", &Settings::max_connections, 1, 1'000'000},
    {"max-connections-per-peer", &Settings::max_connections_per_peer, 1, 1'000'000},
    {"write-timeout-ms", &Settings::write_timeout_ms, 100, 3'600'000},
};

// --rate-limit: N/s or N/min (N from 1 to 10^6), or empty for none.
double parse_rate(const std::string& value) {
    if (value.empty()) return 0;
    const auto slash = value.find('/');
    const std::string unit = slash == std::string::npos ? "" : value.substr(slash + 1);
    if (unit != "s" && unit != "min") {
        throw ConfigError("invalid value '" + value +
                          "' for --rate-limit: expected N/s or N/min, e.g. 20/s");
    }
    const auto n = static_cast<double>(number("rate-limit", value.substr(0, slash), 1, 1'000'000));
    return unit == "s" ? n : n / 60;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// scheme://host[:port] with a host of letters, digits, '-', '.' (or a bracketed IPv6 address).
bool valid_origin(std::string_view o) {
    const auto sep = o.find("://");
    if (sep == std::string_view::npos) return false;
    const std::string_view scheme = o.substr(0, sep);
    if (scheme != "http" && scheme != "https") return false;
    std::string_view rest = o.substr(sep + 3);
    if (rest.empty()) return false;
    if (rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos || close < 2) return false;
        rest.remove_prefix(close + 1);
    } else {
        const auto colon = rest.find(':');
        const std::string_view host = rest.substr(0, colon);
        if (host.empty()) return false;
        for (char c : host) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
        }
        rest.remove_prefix(host.size());
    }
    if (rest.empty()) return true;
    if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return false;
    return std::all_of(rest.begin() + 1, rest.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::string> parse_cors_origins(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.empty()) continue;
        std::string o = lower(item);
        if (o != "*" && !valid_origin(o)) {
            throw ConfigError("invalid value '" + std::string(item) +
                              "' for --cors-origin: expected * or an origin scheme://host[:port] "
                              "(http or https, no path), e.g. http://localhost:8888");
        }
        if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(std::move(o));
    }
    return out;
}

// One of `expected` (a list of words for the message), or a ConfigError naming the option.
void check_one_of(const std::string& name, const std::string& value,
                  std::initializer_list<std::string_view> allowed, const char* expected) {
    for (std::string_view a : allowed) {
        if (value == a) return;
    }
    throw ConfigError("invalid value '" + value + "' for --" + name + ": expected " + expected);
}

void apply(const std::string& name, const std::string& value, Settings& s) {
    for (const IntegerOption& o : kIntegerOptions) {
        if (name == o.name) {
            s.*o.field = number(name, value, o.min, o.max);
            return;
        }
    }
    if (name == "rpc-url") {
        parse_url(value, s);
    } else if (name == "db") {
        if (value.empty()) throw ConfigError("invalid value '' for --db: expected a folder path");
        s.db = value;
    } else if (name == "listen") {
        parse_listen(value, s);
    } else if (name == "tokens") {
        s.tokens = parse_address_list(name, value);
    } else if (name == "admin-token-file") {
        s.admin_token_file = value;
    } else if (name == "read-token-file") {
        s.read_token_file = value;
    } else if (name == "public") {
        check_one_of(name, value, {"true", "false"}, "true or false");
        s.public_api = value == "true";
    } else if (name == "rate-limit") {
        s.rate_limit_per_s = parse_rate(value);
    } else if (name == "cors-origin") {
        s.cors_origins = parse_cors_origins(value);
    } else if (name == "labels") {
        s.labels_file = value;
    } else if (name == "non-circulating") {
        s.non_circulating = value;  // its words are checked where labels are read (api/labels.hpp)
    } else if (name == "log-level") {
        check_one_of(name, value, {"trace", "debug", "info", "warn", "error"},
                     "trace, debug, info, warn or error");
        s.log_level = value;
    } else if (name == "log-format") {
        check_one_of(name, value, {"text", "json"}, "text or json");
        s.log_format = value;
    }
}

}  // namespace

Settings::Settings() {
    for (const auto& o : kOptions) {
        if (*o.fallback != '\0') apply(o.name, o.fallback, *this);
    }
}

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

std::string invalid_address(const std::string& item, const std::string& option) {
    return "invalid value '" + item + "' in --" + option +
           ": expected 0x followed by 40 hex digits";
}

std::vector<Address> parse_address_list(const std::string& option, const std::string& value) {
    std::vector<Address> out;
    std::stringstream ss(value);
    std::string item;
    while (std::getline(ss, item, ',')) {
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (item.empty()) continue;
        auto a = parse_address(item);
        if (!a) throw ConfigError(invalid_address(item, option));
        out.push_back(*a);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

namespace {

enum class Arg { kFlag, kValue, kRequired };

// An option of one command, beside the shared ones it uses.
struct CommandOption {
    const char* name;
    Arg arg;
    const char* help;
};

struct CommandSpec {
    const char* name;
    const char* usage;
    const char* summary;
    std::vector<std::string> shared;  // the entries of kOptions it uses; "*" = all
    std::vector<CommandOption> options;
};

// What the admin commands use of the shared options: where the database and
// the daemon are, the admin API's token (status reads the public /v1/status),
// and the node (read offline by status, verify and rewinds).
const std::vector<std::string> kAdmin{"db", "listen", "admin-token-file", "rpc-url",
                                      "rpc-timeout-ms"};
const std::vector<std::string> kStatus{"db", "listen", "rpc-url", "rpc-timeout-ms"};
const std::vector<std::string> kAdminOnDb{"db", "listen", "admin-token-file"};
const CommandOption kJson{"json", Arg::kFlag, "print JSON for scripts"};

const std::vector<CommandSpec> kCommands{
    {"run", "", "follow the chain into the database and serve the HTTP API", {"*"}, {}},
    {"status",
     "",
     "where the index is: head, node head, lag, state, transfers/s, database size",
     kStatus,
     {kJson}},
    {"reindex",
     "--from-block N [--wait]",
     "rewind derived state to before block N and re-ingest from N",
     kAdmin,
     {{"from-block", Arg::kRequired, "first block to re-ingest"},
      {"wait", Arg::kFlag, "show progress until caught up again"},
      kJson}},
    {"rollback",
     "--to-block N",
     "undo every block after N, then resume following",
     kAdmin,
     {{"to-block", Arg::kRequired, "last block to keep"}, kJson}},
    {"verify",
     "[--token T] [--sample N]",
     "compare indexed balances with balanceOf at the indexed head; exit 1 on any mismatch",
     kAdmin,
     {{"token", Arg::kValue, "only this token"},
      {"sample", Arg::kValue, "holders per token to check, chosen at random (default 0: all)"},
      kJson}},
    {"backup",
     "--to DIR",
     "write a consistent copy (RocksDB checkpoint) of the database to DIR",
     kAdminOnDb,
     {{"to", Arg::kRequired, "folder to create (must not exist)"}, kJson}},
    {"compact", "", "full compaction of the database", kAdminOnDb, {kJson}},
    {"add-tokens",
     "--tokens A,B,...",
     "index more tokens in a filtered database, from its stored start block on",
     kAdminOnDb,
     {{"tokens", Arg::kRequired, "comma-separated token addresses to add"},
      {"wait", Arg::kFlag, "show progress until they are indexed"},
      kJson}},
};

const CommandSpec* find_command(const std::string& name) {
    for (const auto& c : kCommands) {
        if (name == c.name) return &c;
    }
    return nullptr;
}

bool uses(const CommandSpec& spec, const std::string& option) {
    return spec.shared.size() == 1 && spec.shared[0] == "*"
               ? true
               : std::find(spec.shared.begin(), spec.shared.end(), option) != spec.shared.end();
}

// Taken without a word by every admin command, used or not, so that one
// command line (or script) of connection options serves them all; --help
// lists only the ones the command uses.
bool tolerated(const CommandSpec& spec, const std::string& option) {
    return std::string_view(spec.name) != "run" &&
           std::find(kAdmin.begin(), kAdmin.end(), option) != kAdmin.end();
}

// The command's options for Program_options: its own, --config, and the
// shared ones it uses (`parsing`: also the tolerated ones).
po::options_description describe(const CommandSpec& spec, bool parsing) {
    po::options_description desc(std::string("Options of `erc20-indexer ") + spec.name + "`");
    desc.add_options()("help,h", "print this help and exit")("version",
                                                             "print the version and exit");
    for (const auto& o : spec.options) {
        if (o.arg == Arg::kFlag) desc.add_options()(o.name, o.help);
        else
            desc.add_options()(o.name, po::value<std::string>(), o.help);
    }
    desc.add_options()("config", po::value<std::string>()->value_name("FILE"),
                       "INI file with any of the options below (key = value)");
    for (const auto& o : kOptions) {
        if (!uses(spec, o.name) && !(parsing && tolerated(spec, o.name))) continue;
        const std::string shown = std::string("(") + o.fallback + ")";
        if (o.repeatable) {
            desc.add_options()(
                o.name, po::value<std::vector<std::string>>()->composing()->value_name(shown),
                o.help);
        } else if (o.implicit != nullptr) {
            desc.add_options()(
                o.name, po::value<std::string>()->implicit_value(o.implicit)->value_name(shown),
                o.help);
        } else {
            desc.add_options()(o.name, po::value<std::string>()->value_name(shown), o.help);
        }
    }
    return desc;
}

// The commands that take `option` (without dashes), for an error message.
std::string commands_taking(const std::string& option) {
    std::string out;
    for (const auto& c : kCommands) {
        bool takes = false;
        for (const auto& o : c.options) takes = takes || option == o.name;
        for (const auto& o : kOptions) takes = takes || (option == o.name && uses(c, o.name));
        if (takes) out += (out.empty() ? "" : ", ") + std::string(c.name);
    }
    return out;
}

// The command line, strictly: no prefix guessing, no option of another command.
po::variables_map parse_command_line(const CommandSpec& spec, const po::options_description& desc,
                                     const std::vector<std::string>& args) {
    namespace style = po::command_line_style;
    po::variables_map cmdline;
    const std::string see = std::string(" (see `erc20-indexer ") + spec.name + " --help`)";
    try {
        po::store(po::command_line_parser(args)
                      .options(desc)
                      .style(style::default_style & ~style::allow_guessing)
                      .run(),
                  cmdline);
    } catch (po::unknown_option& e) {
        std::string name = e.get_option_name();
        while (!name.empty() && name.front() == '-') name.erase(name.begin());
        const std::string others = commands_taking(name);
        if (!others.empty()) {
            throw ConfigError("option --" + name + " does not apply to `erc20-indexer " +
                              spec.name + "` (it is an option of " + others + ")" + see);
        }
        throw ConfigError(message_of(e) + see);
    } catch (po::error& e) {
        throw ConfigError(message_of(e) + see);
    }
    return cmdline;
}

std::string help_text(const CommandSpec& spec, const po::options_description& desc) {
    std::ostringstream ss;
    const std::string_view usage = spec.usage;
    ss << "Usage: erc20-indexer " << spec.name << " " << usage << (usage.empty() ? "" : " ")
       << "[options]\n\n"
       << spec.summary << ".\n";
    if (std::string_view(spec.name) == "status") {
        ss << "\nWith the daemon running (its --listen answers), status prints its /v1/status;\n"
           << "with the daemon stopped, it opens the --db folder directly and asks --rpc-url\n"
           << "for the node's head. --json prints the /v1/status object either way, with the\n"
           << "command's own figures under \"local\".\n";
    } else if (std::string_view(spec.name) != "run") {
        ss << "\nWith the daemon running (its --listen answers), the command goes through its "
              "admin\n"
           << "API with the bearer token from --admin-token-file; with the daemon stopped, it "
              "opens\n"
           << "the --db folder directly.\n";
    }
    ss << "\n"
       << "Each option can also come from the environment as ERC20_INDEXER_<OPTION> (e.g.\n"
       << "ERC20_INDEXER_DB) or from the --config file; the command line wins, then the\n"
       << "environment, then the file, then the default shown in parentheses. Keys of the\n"
       << "file that this command does not use are ignored.\n\n"
       << desc;
    return ss.str();
}

// An option's value as text: a repeatable one's values joined by commas.
std::string text_of(const po::variable_value& v) {
    if (const auto* list = boost::any_cast<std::vector<std::string>>(&v.value())) {
        std::string out;
        for (const auto& item : *list) out += (out.empty() ? "" : ",") + item;
        return out;
    }
    return v.as<std::string>();
}

// The shared options the command uses: command line > environment > file.
std::map<std::string, std::string> merge_sources(const CommandSpec& spec,
                                                 const po::variables_map& cmdline,
                                                 const std::string& config_file,
                                                 const EnvLookup& env) {
    std::map<std::string, std::string> merged;
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) throw ConfigError("cannot read --config file '" + config_file + "'");
        // Every key is known (a typo stops start-up); only the used ones count.
        po::options_description keys;
        for (const auto& o : kOptions) {
            if (o.repeatable)
                keys.add_options()(o.name, po::value<std::vector<std::string>>()->composing(),
                                   o.help);
            else
                keys.add_options()(o.name, po::value<std::string>(), o.help);
        }
        po::variables_map file;
        try {
            po::store(po::parse_config_file(in, keys, false), file);
        } catch (po::error& e) {
            throw ConfigError("in --config file '" + config_file + "': " + message_of(e));
        }
        for (const auto& [k, v] : file) {
            if (uses(spec, k)) merged[k] = text_of(v);
        }
    }
    for (const auto& o : kOptions) {
        if (!uses(spec, o.name)) continue;
        if (auto v = env(env_name(o.name))) merged[o.name] = *v;
        if (cmdline.count(o.name)) merged[o.name] = text_of(cmdline[o.name]);
    }
    return merged;
}

// The command's own options, validated.
void read_command_options(const CommandSpec& spec, const po::variables_map& cmdline,
                          CommandOptions& c) {
    c.name = spec.name;
    c.json = cmdline.count("json") > 0;  // only a command that declares it gets past the parser
    c.wait = cmdline.count("wait") > 0;
    for (const auto& o : spec.options) {
        if (o.arg == Arg::kRequired && !cmdline.count(o.name)) {
            throw ConfigError(std::string("`erc20-indexer ") + spec.name + "` needs --" + o.name +
                              " (see --help)");
        }
    }
    auto text = [&](std::string_view name) -> std::optional<std::string> {
        for (const auto& o : spec.options) {
            if (name == o.name && cmdline.count(o.name)) return cmdline[o.name].as<std::string>();
        }
        return std::nullopt;
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
        if (!a)
            throw ConfigError("invalid value '" + *v +
                              "' for --token: expected 0x followed by 40 hex digits");
        c.token = *a;
    }
    if (auto v = text("tokens")) {
        c.tokens = parse_address_list("tokens", *v);
        if (c.tokens.empty())
            throw ConfigError("invalid value '" + *v +
                              "' for --tokens: expected at least one address");
    }
}

}  // namespace

std::string commands_help() {
    std::string out;
    for (const auto& c : kCommands) {
        std::string head = std::string("  ") + c.name;
        head.resize(14, ' ');
        out += head + c.summary + "\n";
    }
    return out;
}

Parsed parse_run_options(const std::vector<std::string>& args, const EnvLookup& env) {
    return parse_options("run", args, env);
}

Parsed parse_options(const std::string& command, const std::vector<std::string>& args,
                     const EnvLookup& env) {
    const CommandSpec* spec = find_command(command);
    if (!spec) throw ConfigError("unknown command '" + command + "'");
    const po::variables_map cmdline = parse_command_line(*spec, describe(*spec, true), args);

    Parsed out;
    if (cmdline.count("help")) {
        out.action = Action::kHelp;
        out.help = help_text(*spec, describe(*spec, false));
        return out;
    }
    if (cmdline.count("version")) {
        out.action = Action::kVersion;
        return out;
    }

    std::string config_file;
    if (cmdline.count("config")) config_file = cmdline["config"].as<std::string>();
    else if (auto v = env("ERC20_INDEXER_CONFIG"))
        config_file = *v;
    Settings s;
    s.config_file = config_file;
    for (const auto& [k, v] : merge_sources(*spec, cmdline, config_file, env)) {
        apply(k, v, s);
        s.given.insert(k);
    }
    out.settings = std::move(s);
    read_command_options(*spec, cmdline, out.command);
    return out;
}

}  // namespace erc20::config
