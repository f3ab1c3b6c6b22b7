#pragma once
// The query API's routes as a function from a request to an answer, apart
// from the HTTP server so that tests can call it directly. Every data answer
// is read from one storage::View (one RocksDB snapshot) and carries "block",
// the indexed head it was answered at.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/admin_job.hpp"
#include "api/labels.hpp"
#include "common/progress.hpp"
#include "storage/store.hpp"

namespace erc20::api {

class Access;

/// What the running indexer knows beyond the database.
struct NodeStatus {
    uint64_t node_block{0};
    std::string state{"starting"};
    bool node_reachable{true};
    uint64_t reorgs_total{0};
    uint64_t deepest_reorg{0};
    uint64_t transfers_applied{0};
    double transfers_per_s{0};                // over the last minute
    std::optional<AdminJobStatus> admin_job;  // the admin job running now
    std::optional<SyncProgress> progress;     // while backfilling or reindexing
};
using StatusProvider = std::function<NodeStatus()>;

struct Request {
    std::string_view method{"GET"};
    std::string_view target;
    std::string_view if_none_match;
    std::string_view authorization;
    std::string_view origin;  // the Origin header of a browser's request (CORS)
    std::string_view peer;    // the client's IP address
    /// Asked again after a `busy` answer: its rate was counted the first time.
    bool queued{false};
};

/// The admin API's actions (POST /admin/v1/{action}?params), served by the
/// daemon: the router only checks the bearer token and the method.
struct AdminAnswer {
    unsigned status{200};
    std::string body;  // JSON
};
/// An admin action's refusal or failure, {"error": {"code", "message"}} as
/// every error answer of the API.
[[nodiscard]] AdminAnswer admin_error(unsigned status, const std::string& code,
                                      const std::string& message);
using AdminHandler = std::function<AdminAnswer(const std::string& action,
                                               const std::map<std::string, std::string>& params)>;

struct Response {
    Response() = default;
    Response(unsigned status_code, std::string body_text, std::string type = "application/json")
        : status(status_code), body(std::move(body_text)), content_type(std::move(type)) {}

    unsigned status{200};
    std::string body;
    std::string content_type{"application/json"};
    std::string etag;   // set on data answers
    std::string allow;  // set on 405 answers: the methods the route takes
    std::string route;  // route template, for metrics
    /// Further headers, in order: X-Indexed-Block and -Hash, Content-Disposition,
    /// Vary and the CORS headers.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Set for bulk exports: appends the next chunk to `out`, returns false
    /// when the export is complete. Called on one thread at a time.
    std::function<bool(std::string& out)> stream;
    /// A 429 too_busy: the server may ask again shortly (Request::queued)
    /// before it sends it.
    bool busy{false};
};

struct RouterOptions {
    std::string version{"0.0.0"};
    uint64_t ready_max_lag{64};
    std::chrono::seconds cursor_ttl{600};  // how long a paging walk's snapshot stays pinned
    size_t max_pinned{256};
    /// Holder lists at past blocks and distributions kept across requests
    /// (--query-cache-mb); 0 keeps none.
    size_t query_cache_bytes{size_t{64} << 20};
    std::string admin_token;  // empty: the admin API is off
    AdminHandler admin;
    /// GET /admin/v1/jobs/{id}: the job's status (404 when unknown).
    std::function<AdminAnswer(const std::string& id)> admin_job;
    /// Address labels (--labels, --non-circulating); none: the built-in ones
    /// and the default categories.
    std::shared_ptr<Labels> labels;
    /// Origins (scheme://host[:port], or "*") whose browser pages may read the
    /// read routes (--cors-origin); empty: no CORS headers, preflights get 405.
    std::vector<std::string> cors_origins;
    /// Every state the indexer can be in (erc20_state{state} has one series each).
    std::vector<std::string> states;
    /// erc20_build_info's labels: version, schema, rocksdb, compiler, ...
    std::vector<std::pair<std::string, std::string>> build_info;
    /// Read tokens, rate limits and the cap on expensive answers for /v1 and
    /// /metrics (api/access.hpp); none: open, no limits.
    std::shared_ptr<Access> access;
};

class Pins;
class QueryCaches;

class Router {
  public:
    Router(storage::Store& store, StatusProvider status, RouterOptions options);
    ~Router();

    /// Answers one request. Never throws for bad input: a bad parameter is a
    /// 400, an unknown token or route a 404, a method other than GET a 405,
    /// each with {"error": {"code", "message"}}.
    [[nodiscard]] Response handle(const Request& request) const;
    [[nodiscard]] Response handle(std::string_view method, std::string_view target) const {
        return handle(Request{method, target, {}, {}});
    }

    /// Every route template the router serves (for the OpenAPI check).
    static std::vector<std::string> routes();

  private:
    /// A read route's answer, before the CORS headers.
    [[nodiscard]] Response serve(const Request& request, std::string_view path,
                                 std::string_view qs) const;
    /// The same once options_.access admits the request (401 or 429 when it does not).
    [[nodiscard]] Response serve_admitted(const Request& request, std::string_view path,
                                          std::string_view qs) const;

    storage::Store& store_;
    StatusProvider status_;
    RouterOptions options_;
    std::unique_ptr<Pins> pins_;
    std::unique_ptr<QueryCaches> caches_;
};

}  // namespace erc20::api
