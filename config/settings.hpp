#pragma once
// Settings of `erc20-indexer run`, from (highest first) the command line, the
// environment (ERC20_INDEXER_<OPTION>, upper case, '_' for '-'), the INI file
// given by --config, and the defaults.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
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

struct Settings {
    std::string config_file;                          // Default: none
    std::string rpc_url{"http://127.0.0.1:8545"};
    std::string db{"./data"};
    std::string listen_host{"127.0.0.1"};
    uint16_t listen_port{8547};
    BlockNum start_block{0};
    uint64_t confirmations{0};
    uint64_t poll_interval_ms{2000};
    uint64_t reorg_window{256};
    std::vector<Address> tokens;                      // Default: every token
    std::string admin_token_file;                     // Default: admin API off
    std::string log_level{"info"};                    // trace|debug|info|warn|error
    std::string log_format{"text"};                   // text|json
    uint64_t max_range{2000};                         // blocks per eth_getLogs request
    uint64_t fetch_workers{4};                        // ranges in flight
    uint64_t rpc_timeout_ms{30000};
    uint64_t rpc_max_backoff_ms{30000};               // longest wait between retries
    uint64_t ready_max_lag{64};
    uint64_t cache_mb{256};                           // RocksDB block cache
    uint64_t write_batch_mb{128};                     // backfill write batches
    uint64_t ingest_min_transfers{20'000};            // batches written as ingested table files
    uint64_t memtable_mb{256};                        // RocksDB memtables, all column families
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
    uint64_t sample{0};  // 0: all holders
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
Parsed parse_options(const std::string& command, const std::vector<std::string>& args, const EnvLookup& env);

/// One line per command with its summary, for the top-level usage text.
std::string commands_help();

/// Parses a comma-separated address list ("" = none) into a sorted list
/// without duplicates. Throws ConfigError naming `option` and the bad item.
std::vector<Address> parse_address_list(const std::string& option, const std::string& value);

/// The process environment.
EnvLookup process_env();

}  // namespace erc20::config
