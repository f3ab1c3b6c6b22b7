#pragma once
// The admin actions (status, reindex, rollback, verify, backup, compact,
// add-tokens) as
// JSON answers. The daemon serves them on POST /admin/v1/{action}; the CLI
// runs the same code against the database directly when the daemon is stopped.

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "api/routes.hpp"
#include "indexer/indexer.hpp"
#include "rpc/client.hpp"
#include "storage/store.hpp"

namespace erc20::app {

struct AdminContext {
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

/// Runs one action. Parameters: reindex from_block; rollback to_block;
/// verify token, sample; backup to; add-tokens tokens (comma-separated).
/// Bad parameters and refused add-tokens give a 400 answer.
api::AdminAnswer admin_action(const AdminContext& ctx, const std::string& action,
                              const std::map<std::string, std::string>& params);

}  // namespace erc20::app
