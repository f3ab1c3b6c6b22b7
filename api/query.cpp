#include "api/query.hpp"

#include <algorithm>

#include "api/json.hpp"
#include "common/hex.hpp"

namespace erc20::api {
namespace {

template <class Names>
std::string joined(const Names& names) {
    std::string out;
    for (auto a : names) out += (out.empty() ? "" : ", ") + std::string(a);
    return out;
}

}  // namespace

Response error_response(const ApiError& e) {
    JsonWriter w;
    w.begin_object()
        .key("error")
        .begin_object()
        .field("code", e.code)
        .field("message", e.message)
        .end_object()
        .end_object();
    return Response{e.status, w.take()};
}

AdminAnswer admin_error(unsigned status, const std::string& code, const std::string& message) {
    return {status, error_response({status, code, message}).body};
}

ApiError bad_request(std::string code, std::string message) {
    return {400, std::move(code), std::move(message)};
}
ApiError bad_cursor() {
    return bad_request("bad_cursor", "cursor is not one this server gave out");
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

OrError<Query> Query::parse(std::string_view qs) {
    Query q;
    while (!qs.empty()) {
        auto amp = qs.find('&');
        std::string_view part = qs.substr(0, amp);
        qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq));
        auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
        if (!key || !value)
            return bad_request("bad_query", "malformed percent-encoding in the query string");
        if (q.params_.count(*key))
            return bad_request("bad_parameter", "parameter '" + *key + "' given twice");
        q.params_.emplace(std::move(*key), std::move(*value));
    }
    return q;
}

std::optional<ApiError> Query::only(const std::vector<std::string_view>& allowed) const {
    for (const auto& [k, v] : params_) {
        if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
        const std::string names = joined(allowed);
        return bad_request(
            "unknown_parameter",
            "unknown parameter '" + k + "'" + (names.empty() ? "" : " (accepted: " + names + ")"));
    }
    return std::nullopt;
}

const std::string* Query::get(const std::string& k) const {
    auto it = params_.find(k);
    return it == params_.end() ? nullptr : &it->second;
}

OrError<size_t> Query::limit() const {
    auto n = integer("limit", 1, kMaxLimit);
    if (failed(n)) return std::get<ApiError>(std::move(n));
    return static_cast<size_t>(std::get<0>(n).value_or(kDefaultLimit));
}

OrError<std::optional<BlockNum>> Query::block_num(const std::string& name) const {
    const std::string* v = get(name);
    if (!v) return std::optional<BlockNum>{};
    auto n = parse_decimal_u64(*v);
    if (!n || *n > (~uint64_t{0} >> 1)) {
        return bad_request("bad_" + name,
                           name + " must be a non-negative decimal integer, got '" + *v + "'");
    }
    return std::optional<BlockNum>{*n};
}

OrError<std::string> Query::choice(const std::string& name,
                                   std::initializer_list<std::string_view> allowed,
                                   std::string fallback) const {
    const std::string* v = get(name);
    if (!v) return fallback;
    if (std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return *v;
    return bad_request("bad_" + name,
                       name + " must be one of " + joined(allowed) + ", got '" + *v + "'");
}

OrError<std::optional<uint64_t>> Query::integer(const std::string& name, uint64_t lo,
                                                uint64_t hi) const {
    const std::string* v = get(name);
    if (!v) return std::optional<uint64_t>{};
    auto n = parse_decimal_u64(*v);
    if (!n || *n < lo || *n > hi) {
        return bad_request("bad_" + name, name + " must be an integer from " + std::to_string(lo) +
                                              " to " + std::to_string(hi) + ", got '" + *v + "'");
    }
    return std::optional<uint64_t>{*n};
}

OrError<bool> Query::flag(const std::string& name) const {
    auto v = choice(name, {"true", "false"}, "false");
    if (failed(v)) return std::get<ApiError>(std::move(v));
    return std::get<std::string>(v) == "true";
}

OrError<TokenOrder> Query::token_order() const {
    auto order = choice("order", {"holders", "transfers"}, "holders");
    if (failed(order)) return std::get<ApiError>(std::move(order));
    return std::get<std::string>(order) == "holders" ? TokenOrder::kHolders
                                                     : TokenOrder::kTransfers;
}

OrError<std::vector<Address>> Query::exclude() const {
    std::vector<Address> out;
    if (const std::string* ex = get("exclude")) {
        for (std::string_view rest = *ex; !rest.empty();) {
            auto comma = rest.find(',');
            auto item = rest.substr(0, comma);
            if (!item.empty()) {
                auto a = parse_address(item);
                if (!a)
                    return bad_request("bad_address",
                                       "'" + std::string(item) + "' in exclude is not an address");
                out.push_back(*a);
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace erc20::api
