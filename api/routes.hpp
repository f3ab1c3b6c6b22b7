#pragma once
// The query API's routes as a pure function from (method, target) to an
// answer, apart from the HTTP server so that tests can call it directly.
// Every data answer is read from one storage::View (one RocksDB snapshot)
// and carries "block", the indexed head it was answered at.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/store.hpp"

namespace erc20::api {

/// What the running indexer knows beyond the database.
struct NodeStatus {
    uint64_t node_block{0};
    std::string state{"starting"};
    bool node_reachable{true};
    uint64_t reorgs_total{0};
    uint64_t deepest_reorg{0};
};
using StatusProvider = std::function<NodeStatus()>;

struct Response {
    unsigned status{200};
    std::string body;
    std::string content_type{"application/json"};
};

class Router {
  public:
    Router(storage::Store& store, StatusProvider status, std::string version);

    /// Answers one request. Never throws for bad input: a bad parameter is a
    /// 400, an unknown token or route a 404, a method other than GET a 405,
    /// each with {"error": {"code", "message"}}.
    [[nodiscard]] Response handle(std::string_view method, std::string_view target) const;

  private:
    storage::Store& store_;
    StatusProvider status_;
    std::string version_;
};

}  // namespace erc20::api
