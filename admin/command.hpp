#pragma once
#include "config/settings.hpp"

namespace erc20::admin {

/// Runs an admin command (status, reindex, rollback, verify, backup,
/// compact, add-tokens): through the running daemon's admin API when its --listen
/// answers, else against the --db folder directly. Returns the exit code.
int run_command(const config::Parsed& parsed);

}  // namespace erc20::admin
