#include "api/routes.hpp"

#include <algorithm>

#include "api/access.hpp"
#include "api/analytics_routes.hpp"
#include "api/answer_headers.hpp"
#include "api/call.hpp"
#include "api/columns.hpp"
#include "api/dashboard.hpp"
#include "api/labels.hpp"
#include "api/operations_routes.hpp"
#include "api/paging.hpp"
#include "api/pins.hpp"
#include "api/rows.hpp"
#include "common/hex.hpp"
#include "storage/schema.hpp"

namespace erc20::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    for (std::string_view rest = path; !rest.empty();) {
        auto slash = rest.find('/');
        if (slash != 0) parts.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return parts;
}

storage::Ranking storage_ranking(TokenOrder order) {
    return order == TokenOrder::kHolders ? storage::Ranking::kHolders
                                         : storage::Ranking::kTransfers;
}

// ---------------------------------------------------------------------------
// Handlers. Each gets a Call whose query holds only the route's parameters;
// data routes also have a head, their path addresses and (token routes) the
// token's stats.

// One token's row of the token list, or none when it left the store.
void push_token_row(const storage::View& v, const Labels::Snapshot& labels, const Address& t,
                    Page& page) {
    if (auto s = v.token_stats(t)) {
        const Balance circulating = circulating_supply(v, labels, t, *s, std::nullopt);
        page.rows.push_back(token_row(t, *s, v.token_meta(t), circulating));
    }
}

// ?symbol=PREFIX: the tokens whose symbol starts with it (ASCII
// case-insensitive), by symbol then address.
Response serve_token_search(Call& c, const std::string& prefix) {
    if (c.q.get("order")) {
        return c.fail({400, "bad_parameter",
                       "order does not apply with symbol: matches come by symbol, then address"});
    }
    if (storage::fold_symbol(prefix).size() != prefix.size() || prefix.empty()) {
        return c.fail({400, "bad_symbol",
                       "symbol must be 1 to " + std::to_string(storage::kSymbolKeyMax) +
                           " bytes without NUL"});
    }
    const Labels::Snapshot labels = c.labels;
    return list_answer(
        c, ListSpec{kTokenColumns, PositionKind::kSymbol,
                    [prefix, labels](const storage::View& v, const std::optional<Position>& after,
                                     size_t limit) {
                        Page page;
                        for (const auto& t : v.tokens_by_symbol(prefix, after, limit, page.next))
                            push_token_row(v, labels, t, page);
                        return page;
                    }});
}

Response serve_tokens(Call& c) {
    if (const std::string* symbol = c.q.get("symbol")) return serve_token_search(c, *symbol);
    auto order = c.q.token_order();
    if (failed(order)) return c.fail(std::get<ApiError>(order));
    const storage::Ranking ranking = storage_ranking(std::get<TokenOrder>(order));
    const Labels::Snapshot labels = c.labels;
    return list_answer(
        c, ListSpec{kTokenColumns, PositionKind::kRanking,
                    [ranking, labels](const storage::View& v, const std::optional<Position>& after,
                                      size_t limit) {
                        Page page;
                        for (const auto& t : v.tokens_ranked(ranking, after, limit, page.next))
                            push_token_row(v, labels, t, page);
                        return page;
                    }});
}

// The token now, or with ?block=N as of the end of block N: every figure
// derived from the logs from its token_blocks row; metadata as now.
Response serve_token(Call& c) {
    auto block = c.past_block();
    if (failed(block)) return c.fail(std::get<ApiError>(block));
    const auto block_num = std::get<0>(block);
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    storage::TokenStats stats = *c.stats;
    if (block_num) {
        auto at = c.view->token_stats_at(c.addrs[0], {*block_num}).front();
        if (!at) {
            return c.fail({404, "unknown_token",
                           "token " + to_hex(c.addrs[0]) + " has no transfer up to block " +
                               std::to_string(*block_num) + " (its first is in block " +
                               std::to_string(c.stats->first_block) + ")"});
        }
        stats = *at;
    }
    Row row{{"block", block_num.value_or(c.head->block_num)}};
    auto fields = token_row(c.addrs[0], stats, c.view->token_meta(c.addrs[0]),
                            c.circulating_supply(stats, block_num));
    row.insert(row.end(), fields.begin(), fields.end());
    JsonWriter w;
    write_row(w, row);
    return c.finish(w, etag);
}

// A holders list, at the head or at the end of a past block, with the
// request's labels.
Pager holders_pager(const Address& token, std::optional<BlockNum> block_num,
                    const Labels::Snapshot& labels) {
    return [token, block_num, labels](const storage::View& v, const std::optional<Position>& after,
                                      size_t limit) {
        Page page;
        for (const auto& h : block_num ? v.holders_at(token, *block_num, after, limit, page.next)
                                       : v.holders(token, after, limit, page.next)) {
            page.rows.push_back(holder_row(h.holder, h.balance, labels.set->find(token, h.holder)));
        }
        return page;
    };
}

Response serve_holders(Call& c) {
    auto block = c.past_block();
    if (failed(block)) return c.fail(std::get<ApiError>(block));
    const auto block_num = std::get<0>(block);
    ListSpec spec{kHolderColumns, PositionKind::kHolder,
                  holders_pager(c.addrs[0], block_num, c.labels), block_num};
    spec.extras = kHolderExtras;
    spec.subject = c.addrs[0];
    return list_answer(c, spec);
}

Response serve_holder(Call& c) {
    auto block = c.past_block();
    if (failed(block)) return c.fail(std::get<ApiError>(block));
    const auto block_num = std::get<0>(block);
    const std::string etag = c.validator(*c.view);
    if (auto r304 = c.not_modified(etag)) return *r304;
    const Address& token = c.addrs[0];
    const Address& account = c.addrs[1];
    const Balance b = block_num ? c.view->balance_at(token, account, *block_num)
                                : c.view->balance(token, account);
    JsonWriter w;
    w.begin_object();
    if (block_num) w.field("block", *block_num);
    else
        write_block(w, *c.view);
    w.field("token", to_hex(token))
        .field("account", to_hex(account))
        .field("balance", to_dec_string(b));
    const Label* label = c.labels.set->find(token, account);
    if (label) w.field("label", label->label).field("category", label->category);
    else
        w.field_null("label").field_null("category");
    w.end_object();
    return c.finish(w, etag);
}

// The (block_num, log_index) a transfer list continues after.
std::optional<std::pair<BlockNum, uint32_t>> transfer_after(const std::optional<Position>& after) {
    if (!after) return std::nullopt;
    return after->transfer();
}

// Transfer pages: one more item than asked tells whether there are more.
template <class Item, class Read>
Page transfer_page(const storage::View& v, size_t limit, Read read) {
    Page page;
    std::vector<Item> items = read(limit + 1);
    const bool more = items.size() > limit;
    if (more) items.resize(limit);
    BlockTimes times(v);
    auto transfer_of = [](const Item& item) -> const storage::Transfer& {
        if constexpr (std::is_same_v<Item, storage::Transfer>) return item;
        else
            return item.transfer;
    };
    for (const auto& t : items) page.rows.push_back(transfer_row(transfer_of(t), times));
    if (more) {
        const storage::Transfer& last = transfer_of(items.back());
        page.next = Position::of_transfer(last.block_num, last.log_index);
    }
    return page;
}

Response serve_token_transfers(Call& c) {
    auto range = c.block_range();
    if (failed(range)) return c.fail(std::get<ApiError>(range));
    // Not a structured binding: clang 14 cannot capture those.
    const BlockNum from = std::get<0>(range).first, to = std::get<0>(range).second;
    const Address token = c.addrs[0];
    ListSpec spec{kTransferColumns, PositionKind::kTransfer,
                  [token, from, to](const storage::View& v, const std::optional<Position>& after,
                                    size_t limit) {
                      return transfer_page<storage::Transfer>(v, limit, [&](size_t n) {
                          return v.token_transfers(token, from, to, transfer_after(after), n);
                      });
                  }};
    spec.extras = kTransferExtras;
    return list_answer(c, spec);
}

Response serve_balances(Call& c) {
    const Address account = c.addrs[0];
    ListSpec spec{
        kBalanceColumns, PositionKind::kToken,
        [account](const storage::View& v, const std::optional<Position>& after, size_t limit) {
            Page page;
            std::optional<Address> from;
            if (after) from = after->token();
            auto tokens = v.account_tokens(account, from, limit + 1);
            const bool more = tokens.size() > limit;
            if (more) tokens.resize(limit);
            for (const auto& t : tokens) {
                page.rows.push_back(
                    Row{{"token", to_hex(t)}, {"balance", to_dec_string(v.balance(t, account))}});
            }
            if (more) page.next = Position::of_token(tokens.back());
            return page;
        }};
    spec.extras = kBalanceExtras;
    return list_answer(c, spec);
}

Response serve_account_transfers(Call& c) {
    auto range = c.block_range();
    if (failed(range)) return c.fail(std::get<ApiError>(range));
    // Not a structured binding: clang 14 cannot capture those.
    const BlockNum from = std::get<0>(range).first, to = std::get<0>(range).second;
    auto direction = c.q.choice("direction", {"in", "out", "any"}, "any");
    if (failed(direction)) return c.fail(std::get<ApiError>(direction));
    const std::string& dir = std::get<std::string>(direction);
    const storage::Direction dirs = dir == "in"    ? storage::Direction::kIn
                                    : dir == "out" ? storage::Direction::kOut
                                                   : storage::Direction::kBoth;
    std::optional<Address> token;
    if (const std::string* t = c.q.get("token")) {
        token = parse_address(*t);
        if (!token)
            return c.fail(bad_request("bad_address", "token '" + *t + "' is not an address"));
    }
    const Address account = c.addrs[0];
    ListSpec spec{kTransferColumns, PositionKind::kTransfer,
                  [account, token, dirs, from, to](
                      const storage::View& v, const std::optional<Position>& after, size_t limit) {
                      return transfer_page<storage::View::AccountTransfer>(v, limit, [&](size_t n) {
                          return v.account_transfers(account, token, dirs, from, to,
                                                     transfer_after(after), n);
                      });
                  }};
    spec.extras = kTransferExtras;
    return list_answer(c, spec);
}

// ---------------------------------------------------------------------------
// The route table.

enum class Needs {
    kNothing,  // answered from the request alone
    kStatus,   // the node's status and a snapshot, maybe empty
    kData,     // a snapshot with a head (else 503), path addresses, token stats on token routes
};

struct RouteSpec {
    std::string_view path;  // template: {token} and {account} are addresses
    Needs needs;
    std::vector<std::string_view> params;  // the query parameters it accepts
    Response (*handler)(Call&);
    std::vector<std::string_view> segments;  // of `path`, filled once
};

std::vector<RouteSpec> make_route_table() {
    std::vector<RouteSpec> table{
        {"/healthz", Needs::kNothing, {}, serve_healthz, {}},
        {"/readyz", Needs::kStatus, {}, serve_readyz, {}},
        {"/metrics", Needs::kStatus, {}, serve_metrics_text, {}},
        {"/v1/status", Needs::kStatus, {}, serve_status, {}},
        {"/v1/tokens",
         Needs::kData,
         {"limit", "cursor", "order", "symbol", "format", "columns"},
         serve_tokens,
         {}},
        {"/v1/series",
         Needs::kData,
         {"from_block", "to_block", "step", "period", "format"},
         serve_chain_series,
         {}},
        {"/v1/tokens/{token}", Needs::kData, {"block"}, serve_token, {}},
        {"/v1/tokens/{token}/holders",
         Needs::kData,
         {"limit", "cursor", "block", "format", "columns"},
         serve_holders,
         {}},
        {"/v1/tokens/{token}/holders/{account}", Needs::kData, {"block"}, serve_holder, {}},
        {"/v1/tokens/{token}/transfers",
         Needs::kData,
         {"limit", "cursor", "from_block", "to_block", "format", "columns"},
         serve_token_transfers,
         {}},
        {"/v1/tokens/{token}/distribution",
         Needs::kData,
         {"exclude", "exclude_category", "block", "lorenz", "percentiles"},
         serve_distribution,
         {}},
        {"/v1/tokens/{token}/series",
         Needs::kData,
         {"from_block", "to_block", "step", "period", "distribution", "activity", "format"},
         serve_token_series,
         {}},
        {"/v1/tokens/{token}/flows",
         Needs::kData,
         {"from_block", "to_block", "order", "limit", "cursor", "format", "columns"},
         serve_flows,
         {}},
        {"/v1/accounts/{account}/balances",
         Needs::kData,
         {"limit", "cursor", "format", "columns"},
         serve_balances,
         {}},
        {"/v1/accounts/{account}/transfers",
         Needs::kData,
         {"token", "direction", "from_block", "to_block", "limit", "cursor", "format", "columns"},
         serve_account_transfers,
         {}},
        {"/v1/accounts/{account}/tokens/{token}/history",
         Needs::kData,
         {"from_block", "to_block", "limit", "cursor", "format", "columns"},
         serve_account_history,
         {}},
    };
    for (auto& r : table) r.segments = split_path(r.path);
    return table;
}

const std::vector<RouteSpec>& route_table() {
    static const std::vector<RouteSpec> table = make_route_table();
    return table;
}

// The route whose template `parts` match, with the path arguments; nullptr for none.
const RouteSpec* match(const std::vector<std::string_view>& parts,
                       std::vector<std::string_view>& args) {
    for (const auto& r : route_table()) {
        if (r.segments.size() != parts.size()) continue;
        std::vector<std::string_view> a;
        bool matched = true;
        for (size_t i = 0; i < parts.size() && matched; ++i) {
            if (r.segments[i].front() == '{') a.push_back(parts[i]);
            else
                matched = r.segments[i] == parts[i];
        }
        if (matched) {
            args = std::move(a);
            return &r;
        }
    }
    return nullptr;
}

// The state of a kData route: a head, the path addresses, a token's stats.
std::optional<Response> prepare_data(Call& c) {
    if (!c.head) return c.fail({503, "not_ready", "nothing is indexed yet; see /v1/status"});
    for (auto a : c.args) {
        auto parsed = parse_address(a);
        if (!parsed) {
            return c.fail(bad_request(
                "bad_address",
                "'" + std::string(a) + "' is not an address (0x followed by 40 hex digits)"));
        }
        c.addrs.push_back(*parsed);
    }
    if (c.route.rfind("/v1/tokens/", 0) == 0) {
        c.stats = c.view->token_stats(c.addrs[0]);
        if (!c.stats)
            return c.fail({404, "unknown_token",
                           "no transfers of token " + to_hex(c.addrs[0]) + " are indexed"});
    }
    return std::nullopt;
}

// The routes read tokens and rate limits apply to: every /v1 route and /metrics.
bool guarded(std::string_view path) { return path == "/metrics" || path.rfind("/v1/", 0) == 0; }

// Whether an answer costs more than a few reads: an export, a distribution,
// holders at a past block, a series, flows (--max-expensive-concurrency).
bool expensive(std::string_view path, std::string_view qs) {
    auto parsed = Query::parse(qs);
    if (failed(parsed)) return false;  // a 400
    const Query& q = std::get<Query>(parsed);
    if (const std::string* f = q.get("format"); f && *f != "json") return true;
    const auto parts = split_path(path);
    if (parts.empty()) return false;
    const std::string_view last = parts.back();
    if (last == "distribution" || last == "series" || last == "flows") return true;
    return last == "holders" && parts.size() == 4 && q.get("block") != nullptr;
}

// POST /admin/v1/{action} and GET /admin/v1/jobs/{id}: the bearer token and
// the method are checked here, the rest is the daemon's (RouterOptions).
Response admin_answer(const Request& request, std::string_view path, std::string_view qs,
                      const RouterOptions& options) {
    constexpr std::string_view kJobs = "/admin/v1/jobs/";
    const bool job_route = path.rfind(kJobs, 0) == 0 && path.size() > kJobs.size();
    const std::string route = job_route ? "/admin/v1/jobs/{id}" : "/admin/v1/{action}";
    auto reply = [&](const ApiError& e) {
        Response er = error_response(e);
        er.route = route;
        return er;
    };
    if (options.admin_token.empty() || !options.admin) {
        return reply(
            {404, "admin_off", "the admin API is off: start the daemon with --admin-token-file"});
    }
    if (!same_secret(bearer_of(request.authorization), options.admin_token)) {
        return reply({401, "unauthorized", "missing or wrong bearer token"});
    }
    const std::string_view method = job_route ? "GET" : "POST";
    if (request.method != method) {
        Response er =
            reply({405, "method_not_allowed",
                   job_route ? "admin jobs are read with GET" : "admin actions are POST"});
        er.allow = std::string(method);
        return er;
    }
    auto parsed = Query::parse(qs);
    if (failed(parsed)) return reply(std::get<ApiError>(parsed));
    if (job_route && !options.admin_job)
        return reply({404, "unknown_job", "this daemon runs no admin jobs"});
    constexpr std::string_view kAdmin = "/admin/v1/";
    AdminAnswer a = job_route ? options.admin_job(std::string(path.substr(kJobs.size())))
                              : options.admin(std::string(path.substr(kAdmin.size())),
                                              std::get<Query>(parsed).all());
    Response r{a.status, std::move(a.body)};
    r.route = route;
    return r;
}

}  // namespace

Router::Router(storage::Store& store, StatusProvider status, RouterOptions options)
    : store_(store),
      status_(std::move(status)),
      options_(std::move(options)),
      pins_(std::make_unique<Pins>(options_.cursor_ttl, options_.max_pinned)),
      caches_(std::make_unique<QueryCaches>(options_.query_cache_bytes)) {
    if (!options_.labels) {
        options_.labels =
            std::make_shared<Labels>(nullptr, parse_categories(kDefaultNonCirculating, "labels"));
    }
}
Router::~Router() = default;

std::vector<std::string> Router::routes() {
    std::vector<std::string> out;
    for (const auto& r : route_table()) out.emplace_back(r.path);
    return out;
}

Response Router::handle(const Request& request) const {
    const std::string_view target = request.target;
    const auto qpos = target.find('?');
    const std::string_view path = target.substr(0, qpos);
    const std::string_view qs =
        qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1);
    // Admin answers never carry CORS headers: no page of another origin may drive them.
    Response r;
    if (path.rfind("/admin/v1/", 0) == 0) {
        r = admin_answer(request, path, qs, options_);
    } else if (auto page = dashboard_answer(request, path)) {
        r = std::move(*page);
    } else {
        r = serve_admitted(request, path, qs);
        add_cors(r, request.origin, options_.cors_origins);
    }
    // No answer is to be read as another type than it says (a JSON error as HTML, say).
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
}

Response Router::serve_admitted(const Request& request, std::string_view path,
                                std::string_view qs) const {
    if (!options_.access || !guarded(path) || request.method == "OPTIONS")
        return serve(request, path, qs);
    auto verdict = options_.access->admit(request.authorization, request.peer, expensive(path, qs),
                                          !request.queued);
    if (auto* no = std::get_if<Refusal>(&verdict)) {
        Response r = error_response({no->status, no->code, no->message});
        r.route = "refused";
        r.busy = no->code == "too_busy";
        if (no->status == 401)
            r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="erc20-indexer")");
        if (no->retry_after_s > 0)
            r.headers.emplace_back("Retry-After", std::to_string(no->retry_after_s));
        return r;
    }
    Response r = serve(request, path, qs);
    if (auto slot = std::get<Admission>(verdict).slot; slot && r.stream) {
        // A streamed export holds its slot until its last chunk is made.
        r.stream = [inner = std::move(r.stream), slot](std::string& out) { return inner(out); };
    }
    return r;
}

Response Router::serve(const Request& request, std::string_view path, std::string_view qs) const {
    std::vector<std::string_view> args;
    const RouteSpec* route = match(split_path(path), args);
    if (!route) {
        Response r = error_response({404, "not_found", "no route for " + std::string(path)});
        r.route = "unmatched";
        return r;
    }
    auto parsed = Query::parse(qs);
    const Query none;
    Call c{request,         route->path, failed(parsed) ? none : std::get<Query>(parsed),
           std::move(args), options_,    *pins_,
           *caches_,        store_};
    c.labels = options_.labels->current();
    if (request.method == "OPTIONS" && !options_.cors_origins.empty())
        return c.with_route(preflight_answer(request.origin, options_.cors_origins));
    if (request.method != "GET" && request.method != "HEAD") {
        Response r = c.fail(
            {405, "method_not_allowed", "only GET is allowed on " + std::string(route->path)});
        r.allow = "GET, HEAD";
        return r;
    }
    if (failed(parsed)) return c.fail(std::get<ApiError>(parsed));
    if (route->needs != Needs::kNothing) {
        c.node = status_ ? status_() : NodeStatus{};
        c.view = std::make_shared<const storage::View>(store_.view());
        c.head = c.view->cursor();
        c.lag = c.head && c.node.node_block > c.head->block_num
                    ? c.node.node_block - c.head->block_num
                    : 0;
    }
    auto answer = [&] {
        if (route->needs == Needs::kData) {
            if (auto r = prepare_data(c)) return *r;
        }
        if (auto e = c.q.only(route->params)) return c.fail(*e);
        return route->handler(c);
    };
    Response r = answer();
    if (c.head) stamp_indexed(r, *c.head);
    return r;
}

}  // namespace erc20::api
