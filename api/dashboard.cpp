#include "api/dashboard.hpp"

#include "api/query.hpp"
#include "web/assets.hpp"

namespace erc20::api {
namespace {

// If-None-Match holds `etag` (a list, or *).
bool matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match == "*") return true;
    return if_none_match.find(etag) != std::string_view::npos;
}

void page_headers(Response& r, bool immutable) {
    r.headers.emplace_back("Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("Content-Security-Policy", std::string(kDashboardCsp));
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
}

}  // namespace

std::optional<Response> dashboard_answer(const Request& request, std::string_view path) {
    if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
    if (path != "/" && path != "/docs" && path != "/openapi.yaml" && path.rfind("/assets/", 0) != 0)
        return std::nullopt;
    for (const web::Asset& a : web::assets()) {
        if (a.path != path) continue;
        Response r = matches(request.if_none_match, a.etag)
                         ? Response{304, "", std::string(a.content_type)}
                         : Response{200, std::string(a.body), std::string(a.content_type)};
        r.etag = std::string(a.etag);
        r.route = path.rfind("/assets/", 0) == 0 ? "/assets/{file}" : std::string(path);
        page_headers(r, a.immutable);
        return r;
    }
    Response r = error_response({404, "not_found", "no dashboard file " + std::string(path)});
    r.route = "/assets/{file}";
    return r;
}

}  // namespace erc20::api
