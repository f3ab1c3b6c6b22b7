#pragma once
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace erc20::app {

/// `erc20-indexer run`: opens the database, serves the API, follows the chain
/// until SIGTERM/SIGINT. `args` are re-parsed on SIGHUP to reload the log level.
int run_daemon(const config::Settings& settings, const std::vector<std::string>& args);

/// Logging to stderr in text or JSON lines.
void setup_logging(const config::Settings& settings);

}  // namespace erc20::app
