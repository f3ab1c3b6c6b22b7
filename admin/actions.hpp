#pragma once
// The admin actions (status, reindex, rollback, verify, backup, compact,
// add-tokens) as
// JSON answers. The daemon serves them on POST /admin/v1/{action}; the CLI
// runs the same code against the database directly when the daemon is stopped.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "api/routes.hpp"
#include "indexer/indexer.hpp"
#include "rpc/client.hpp"
#include "storage/store.hpp"

namespace erc20::admin {

struct Context {
    storage::Store& store;
    rpc::ClientOptions rpc;
    /// What the indexer knows (node head, state); offline, a one-off reading.
    std::function<api::NodeStatus()> node;
    /// Transfers applied per second over the last minute (0 offline).
    std::function<double()> transfers_per_s;
    /// Rewinds to after `to_block` (nullopt: before every block), marking a
    /// reindex when `reindex`; returns once the rollback is written.
    std::function<indexer::RewindResult(std::optional<BlockNum>, bool reindex)> rewind;
    /// indexer::begin_add_tokens, on the ingestion thread when the daemon runs.
    std::function<indexer::AddTokensResult(std::vector<Address>)> add_tokens;
};

/// How far a long action is: `done` of `total` `unit` (total 0: no measure).
struct Progress {
    uint64_t done{0};
    uint64_t total{0};
    std::string unit;
};
/// Called by a long action as it goes; returning false asks it to stop
/// early (the daemon is stopping), which it answers with 503.
using ProgressFn = std::function<bool(const Progress&)>;
/// A long action, its parameters checked, ready to run.
using Task = std::function<api::AdminAnswer(const ProgressFn&)>;

/// Checks one action's parameters. Parameters: reindex from_block; rollback
/// to_block; verify token, sample; backup to; add-tokens tokens (comma-separated).
/// Gives the answer itself for a quick action (status, add-tokens, which only
/// queues its scoped reindex) or a refusal (400 bad parameter, 404 unknown
/// action), and a task for a long one (verify, compact, backup, rollback,
/// reindex): the daemon runs it as an admin job, the CLI on a stopped
/// database in place.
std::variant<api::AdminAnswer, Task> prepare_action(
    const Context& ctx, const std::string& action,
    const std::map<std::string, std::string>& params);

}  // namespace erc20::admin
