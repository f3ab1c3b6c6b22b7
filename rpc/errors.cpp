#include "rpc/errors.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <span>
#include <string>

#include "common/hex.hpp"
#include "common/strings.hpp"

namespace erc20::rpc {
namespace {

using Kind = RpcError::Kind;

bool contains_any(std::string_view haystack, std::span<const std::string_view> needles) {
    return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) {
        return haystack.find(n) != std::string_view::npos;
    });
}

const char* skip_spaces(const char* p, const char* end) noexcept {
    while (p != end && (*p == ' ' || *p == '\t')) ++p;
    return p;
}

}  // namespace

const char* parse_lenient_number(const char* p, const char* end, uint64_t& out) noexcept {
    int base = 10;
    if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    auto [ptr, ec] = std::from_chars(p, end, out, base);
    if (ec != std::errc{} || ptr == p) return nullptr;
    return ptr;
}

// ---------------------------------------------------------------------------
// Error classification

std::optional<BlockNum> find_suggested_to(std::string_view text) noexcept {
    const char* const end = text.data() + text.size();
    for (size_t pos = text.find('['); pos != std::string_view::npos;
         pos = text.find('[', pos + 1)) {
        const char* p = skip_spaces(text.data() + pos + 1, end);
        uint64_t from = 0;
        uint64_t to = 0;
        p = parse_lenient_number(p, end, from);
        if (p == nullptr) continue;
        p = skip_spaces(p, end);
        if (p == end || *p != ',') continue;
        p = parse_lenient_number(skip_spaces(p + 1, end), end, to);
        if (p == nullptr) continue;
        p = skip_spaces(p, end);
        if (p == end || *p != ']') continue;
        return to;
    }
    return std::nullopt;
}

RpcError make_rpc_error(Method method, int64_t code, std::string_view message,
                        std::string_view data, std::optional<BlockNum> data_to) {
    static constexpr std::string_view kRateLimit[] = {
        "rate limit", "too many requests", "request rate", "rate exceeded", "exceeded rate"};
    static constexpr std::string_view kRange[] = {"more than 10000 results",
                                                  "block range",
                                                  "range is too large",
                                                  "response size",
                                                  "query returned more than",
                                                  "limit exceeded",
                                                  "too many"};
    static constexpr std::string_view kExecution[] = {
        "revert", "execution", "invalid opcode", "out of gas", "invalid jump", "stack underflow"};

    RpcError e;
    e.kind = Kind::kRpcError;
    e.code = code;
    e.message.assign(message);
    if (!data.empty()) {
        e.message += " (data: ";
        e.message.append(data.substr(0, 256));
        e.message += ')';
    }
    const std::string lower = to_lower(message);

    if (code == 429 || contains_any(lower, kRateLimit)) {
        e.kind = Kind::kRateLimited;
        return e;
    }
    if (method == Method::kGetLogs && (code == -32005 || contains_any(lower, kRange))) {
        e.kind = Kind::kRangeTooLarge;
        e.suggested_to = find_suggested_to(message);
        if (!e.suggested_to) e.suggested_to = find_suggested_to(data);
        if (!e.suggested_to) e.suggested_to = data_to;
        return e;
    }
    if (method == Method::kCall &&
        (code == 3 || ((code == -32000 || code == -32015) && contains_any(lower, kExecution)))) {
        e.kind = Kind::kReverted;
        return e;
    }
    // geth: "missing trie node", "header not found", "header for hash not
    // found"; erigon/nethermind/besu: "state ... not available", "pruned";
    // anvil: -32001 "Resource not found" for an unknown hash.
    static constexpr std::string_view kUnavailable[] = {
        "missing trie node", "header not found", "block not found", "hash not found",
        "unknown block",     "unknown hash",     "pruned",          "not available",
        "historical state"};
    if (method == Method::kCall && (code == -32001 || contains_any(lower, kUnavailable))) {
        e.kind = Kind::kUnavailable;
        return e;
    }
    return e;
}

std::optional<int64_t> parse_retry_after(std::string_view value) noexcept {
    constexpr std::string_view kSpace = " \t\r\n";
    const size_t first = value.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return std::nullopt;
    value = value.substr(first, value.find_last_not_of(kSpace) - first + 1);
    auto seconds = parse_decimal_u64(value);
    // A day is more than any node means; beyond it the value is nonsense.
    if (!seconds || *seconds > 86'400) return std::nullopt;
    return static_cast<int64_t>(*seconds) * 1000;
}

RpcError make_http_error(long status, std::optional<int64_t> retry_after_ms,
                         std::string_view body) {
    RpcError e;
    e.http_status = static_cast<int>(status);
    if (status == 429) {
        e.kind = Kind::kRateLimited;
        e.retry_after_ms = retry_after_ms;
    } else if (status == 413) {
        e.kind = Kind::kRangeTooLarge;
    } else {
        e.kind = Kind::kHttpStatus;
    }
    e.message = "HTTP " + std::to_string(status);
    if (!body.empty()) {
        constexpr size_t kMaxQuoted = 200;
        e.message += ": ";
        e.message.append(body.substr(0, kMaxQuoted));
        if (body.size() > kMaxQuoted) e.message += "...";
    }
    return e;
}

// ---------------------------------------------------------------------------
// Decoders

}  // namespace erc20::rpc
