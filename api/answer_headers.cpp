#include "api/answer_headers.hpp"

#include <algorithm>

#include "api/query.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool allowed_origin(std::string_view origin, const std::vector<std::string>& allowed) {
    if (origin.empty()) return false;
    const std::string o = lower(origin);
    return std::any_of(allowed.begin(), allowed.end(),
                       [&](const std::string& a) { return a == "*" || a == o; });
}

}  // namespace

const std::string* find_header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (iequals(k, name)) return &v;
    }
    return nullptr;
}

void stamp_indexed(Response& r, const storage::Cursor& head) {
    if (find_header(r, "X-Indexed-Block")) return;
    r.headers.emplace_back("X-Indexed-Block", std::to_string(head.block_num));
    r.headers.emplace_back("X-Indexed-Block-Hash", to_hex(head.hash));
}

std::string export_disposition(std::string_view route, const std::vector<Address>& addrs,
                               BlockNum block, std::string_view format) {
    std::vector<std::string> parts;
    size_t next_addr = 0;
    bool after_literal = false;
    std::string_view rest = route.substr(route.rfind("/v1/", 0) == 0 ? 4 : 1);
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (seg.empty()) continue;
        if (seg.front() == '{') {
            // The collection a parameter belongs to ("tokens/{token}") names nothing more.
            if (after_literal) parts.pop_back();
            parts.push_back(next_addr < addrs.size() ? to_hex(addrs[next_addr]) : "x");
            ++next_addr;
        } else {
            parts.emplace_back(seg);
        }
        after_literal = seg.front() != '{';
    }
    std::string name;
    for (const auto& p : parts) {
        if (!name.empty()) name += '-';
        name += p;
    }
    return "attachment; filename=\"" + name + "-" + std::to_string(block) + "." +
           std::string(format) + "\"";
}

void add_cors(Response& r, std::string_view origin, const std::vector<std::string>& allowed) {
    if (allowed.empty()) return;
    r.headers.emplace_back("Vary", "Origin");
    if (!allowed_origin(origin, allowed)) return;
    r.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    r.headers.emplace_back("Access-Control-Expose-Headers",
                           "ETag, X-Indexed-Block, X-Indexed-Block-Hash, Content-Disposition");
}

Response preflight_answer(std::string_view origin, const std::vector<std::string>& allowed) {
    if (!allowed_origin(origin, allowed)) {
        return error_response({403, "origin_not_allowed",
                               origin.empty()
                                   ? std::string("a preflight needs an Origin header")
                                   : "origin " + std::string(origin) + " is not in --cors-origin"});
    }
    Response r{204, ""};
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, If-None-Match");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    return r;
}

}  // namespace erc20::api
