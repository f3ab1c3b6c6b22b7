#pragma once
// The API's request parameters: the query string parsed strictly (percent
// decoding, no parameter twice, only the ones a route accepts), and the
// error answers every route shares. Nothing past this file reads raw query
// strings.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/routes.hpp"
#include "common/types.hpp"

namespace erc20::api {

inline constexpr size_t kDefaultLimit = 100;
inline constexpr size_t kMaxLimit = 1000;

/// An error answer: {"error": {"code", "message"}} with its HTTP status.
struct ApiError {
    unsigned status;
    std::string code;
    std::string message;
};
[[nodiscard]] Response error_response(const ApiError& e);
[[nodiscard]] ApiError bad_request(std::string code, std::string message);
[[nodiscard]] ApiError bad_cursor();

template <class T>
using OrError = std::variant<T, ApiError>;
template <class T>
bool failed(const OrError<T>& v) {
    return v.index() == 1;
}

/// Percent-decoding of one query-string component ('+' is a space);
/// nullopt for a '%' not followed by two hex digits.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s);

/// The rankings of /v1/tokens (?order=).
enum class TokenOrder { kHolders, kTransfers };

/// A parsed query string. A route lists the parameters it accepts (only());
/// any other is a 400.
class Query {
  public:
    /// 400 bad_query for malformed percent-encoding, bad_parameter for a
    /// parameter given twice.
    static OrError<Query> parse(std::string_view qs);

    /// 400 unknown_parameter for a parameter not in `allowed`.
    [[nodiscard]] std::optional<ApiError> only(const std::vector<std::string_view>& allowed) const;
    [[nodiscard]] const std::string* get(const std::string& k) const;
    /// ?limit=, 1 to kMaxLimit (default kDefaultLimit).
    [[nodiscard]] OrError<size_t> limit() const;
    /// A block number parameter (block, from_block, to_block), below 2^63.
    [[nodiscard]] OrError<std::optional<BlockNum>> block_num(const std::string& name) const;
    /// One of `allowed`, or `fallback` when absent.
    [[nodiscard]] OrError<std::string> choice(const std::string& name,
                                              std::initializer_list<std::string_view> allowed,
                                              std::string fallback) const;
    /// An integer parameter from `lo` to `hi`; nullopt when absent.
    [[nodiscard]] OrError<std::optional<uint64_t>> integer(const std::string& name, uint64_t lo,
                                                           uint64_t hi) const;
    /// A true|false parameter, false when absent.
    [[nodiscard]] OrError<bool> flag(const std::string& name) const;
    /// ?order= of /v1/tokens: holders (default) or transfers.
    [[nodiscard]] OrError<TokenOrder> token_order() const;
    /// ?exclude=A,B,...: addresses, sorted (400 bad_address for one that is none).
    [[nodiscard]] OrError<std::vector<Address>> exclude() const;

    [[nodiscard]] const std::map<std::string, std::string>& all() const { return params_; }

  private:
    std::map<std::string, std::string> params_;
};

}  // namespace erc20::api
