#pragma once
// Settings of `erc20-indexer run`, from (highest first) the command line, the
// environment (ERC20_INDEXER_<OPTION>, upper case, '_' for '-'), the INI file
// given by --config, and the defaults.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/types.hpp"

namespace erc20::config {

/// A bad option or value; what() names the option and the value.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// One shared option: its name (the command line's --name, the config
/// file's key, ERC20_INDEXER_NAME in the environment), its default as text
/// ("" for none) and its help line.
struct OptionSpec {
    const char* name;
    const char* fallback;
    const char* help;
    /// Given more than once (command line, or file keys), the values add up,
    /// as a comma-separated list does.
    bool repeatable{false};
    /// The value of the option given without one on the command line (`--public`).
    const char* implicit{nullptr};
};

/// The one table of option defaults: Settings{} holds these values, --help
/// shows them, and a test checks that README.md's option table and
/// config/erc20-indexer.conf.example say the same.
[[nodiscard]] std::span<const OptionSpec> option_table();

struct Settings {
    /// Every option at its default (option_table()).
    Settings();

    std::string config_file;  // none
    std::string rpc_url;
    std::string db;
    std::string listen_host;
    uint16_t listen_port{0};
    BlockNum start_block{0};
    uint64_t confirmations{0};
    uint64_t poll_interval_ms{0};
    uint64_t reorg_window{0};
    std::vector<Address> tokens;   // empty: every token
    std::string admin_token_file;  // empty: admin API off
    std::string read_token_file;   // empty: the read routes are open
    bool public_api{false};        // an open API off loopback on purpose
    double rate_limit_per_s{0};    // per client; 0: none
    uint64_t rate_burst{0};        // 0: one second's worth of rate_limit_per_s
    uint64_t max_expensive{0};     // 0: the HTTP threads minus one
    uint64_t max_connections{0};
    uint64_t max_connections_per_peer{0};
    uint64_t write_timeout_ms{0};
    /// Origins whose pages may read the API ("*" or scheme://host[:port],
    /// lowercased); empty: no CORS.
    std::vector<std::string> cors_origins;
    std::string labels_file;      // empty: the built-in labels only
    std::string non_circulating;  // label categories, comma-separated
    std::string log_level;        // trace|debug|info|warn|error
    std::string log_format;       // text|json
    uint64_t max_range{0};        // blocks per eth_getLogs request
    uint64_t fetch_workers{0};    // ranges in flight
    uint64_t rpc_timeout_ms{0};
    uint64_t rpc_max_backoff_ms{0};  // longest wait between retries
    uint64_t ready_max_lag{0};
    uint64_t cache_mb{0};              // RocksDB block cache
    uint64_t query_cache_mb{0};        // the API's answers kept across blocks; 0: none
    uint64_t write_batch_mb{0};        // backfill write batches
    uint64_t ingest_min_transfers{0};  // batches written as ingested table files
    uint64_t memtable_mb{0};           // RocksDB memtables, all column families
    /// The options set by the command line, the environment or the file (not
    /// by a default), by name: "tokens", "start-block", ...
    std::set<std::string> given;
};

enum class Action { kRun, kHelp, kVersion };

/// Options of an admin command (status, reindex, rollback, verify, backup,
/// compact, add-tokens).
struct CommandOptions {
    std::string name{"run"};
    bool json{false};
    bool wait{false};
    std::optional<BlockNum> from_block;
    std::optional<BlockNum> to_block;
    std::optional<Address> token;
    std::vector<Address> tokens;  // add-tokens: sorted, without duplicates
    uint64_t sample{0};           // 0: all holders
    std::string to;
};

struct Parsed {
    Action action{Action::kRun};
    Settings settings;
    CommandOptions command;
    std::string help;  // filled for kHelp
};

/// Returns the value of an environment variable, or nullopt.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Parses the arguments after `run`. Throws ConfigError on an unknown option,
/// a bad value, or an unreadable config file.
Parsed parse_run_options(const std::vector<std::string>& args, const EnvLookup& env);

/// Parses the arguments after `command` (run or an admin command): the shared
/// options the command uses plus its own. Options are never guessed from a
/// prefix. Throws ConfigError as above, also for an unknown command, an
/// option the command does not take (named), or a missing required option.
/// Keys of the --config file and ERC20_INDEXER_* variables that the command
/// does not use are ignored (one file serves run and the admin commands).
Parsed parse_options(const std::string& command, const std::vector<std::string>& args,
                     const EnvLookup& env);

/// One line per command with its summary, for the top-level usage text.
std::string commands_help();

/// Parses a comma-separated address list ("" = none) into a sorted list
/// without duplicates. Throws ConfigError naming `option` and the bad item.
std::vector<Address> parse_address_list(const std::string& option, const std::string& value);

/// The process environment.
EnvLookup process_env();

}  // namespace erc20::config
