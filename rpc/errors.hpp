#pragma once
// Internal to rpc/: what a node's failure means. JSON-RPC error objects and
// non-200 HTTP answers become one RpcError whose kind the retry policy
// switches on; the texts that providers put in their messages ("[0x.., 0x..]"
// suggested ranges, Retry-After) are read here and nowhere else.

#include <cstdint>
#include <optional>
#include <string_view>

#include "rpc/types.hpp"

namespace erc20::rpc {

/// Which call an error object answers: it decides the error classification.
enum class Method {
    kGeneric,  // eth_chainId, eth_blockNumber, eth_getBlockByNumber
    kGetLogs,  // range/size rejections become kRangeTooLarge
    kCall,     // execution errors become kReverted
};

/// Classifies a JSON-RPC error object {code, message, data}. `data` is the
/// text of error.data when it is a string (empty otherwise); `data_to` is
/// error.data.to when error.data is an object holding it (Infura's shape).
///   - rate-limit messages ("rate limit", "too many requests", ...) or code
///     429, any method: kRateLimited;
///   - kGetLogs: code -32005 or a size/range message: kRangeTooLarge, with
///     suggested_to from "[0x.., 0x..]" in message or data, else data_to;
///   - kCall: code 3, or -32000/-32015 with "revert"/"execution"/... in the
///     message: kReverted;
///   - otherwise kRpcError.
[[nodiscard]] RpcError make_rpc_error(Method method, int64_t code, std::string_view message,
                                      std::string_view data,
                                      std::optional<BlockNum> data_to = std::nullopt);

/// The last number of the first "[a, b]" range found in `text` (hex "0x.." or
/// decimal), or nullopt.
[[nodiscard]] std::optional<BlockNum> find_suggested_to(std::string_view text) noexcept;

/// The value of a Retry-After header in delay-seconds form, in milliseconds;
/// nullopt for an HTTP-date or anything else.
[[nodiscard]] std::optional<int64_t> parse_retry_after(std::string_view value) noexcept;

/// The error of a non-200 HTTP answer: 429 is kRateLimited (with
/// retry_after_ms), 413 is kRangeTooLarge, anything else kHttpStatus.
/// `body` (possibly empty) is quoted, shortened, in the message.
[[nodiscard]] RpcError make_http_error(long status, std::optional<int64_t> retry_after_ms,
                                       std::string_view body);

/// A lenient number in an error message: "0x" + 1..16 hex digits (leading
/// zeros and upper case allowed) or 1..20 decimal digits. Returns the end of
/// the number, or nullptr when there is none at `p`.
[[nodiscard]] const char* parse_lenient_number(const char* p, const char* end,
                                               uint64_t& out) noexcept;

}  // namespace erc20::rpc
