#pragma once
// The headers an answer carries beside its body: where it was read
// (X-Indexed-Block, X-Indexed-Block-Hash), how an export is saved
// (Content-Disposition), and which browser pages may read it (CORS).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/routes.hpp"
#include "storage/types.hpp"

namespace erc20::api {

/// The value of header `name` (case-insensitive) in `r`, or nullptr.
[[nodiscard]] const std::string* find_header(const Response& r, std::string_view name);

/// X-Indexed-Block and X-Indexed-Block-Hash: the indexed head of the snapshot
/// the answer was read from (kept when `r` already has them).
void stamp_indexed(Response& r, const storage::Cursor& head);

/// `attachment; filename="<name>-<block>.<format>"`, the name built from the
/// route template with its path addresses (`/v1/tokens/{token}/holders` gives
/// `0x…-holders`, `/v1/tokens` gives `tokens`).
[[nodiscard]] std::string export_disposition(std::string_view route,
                                             const std::vector<Address>& addrs, BlockNum block,
                                             std::string_view format);

/// The CORS part of a read route's answer: when `origin` is one of `allowed`
/// (lowercased; or "*" is), Access-Control-Allow-Origin and the headers a page may read;
/// Vary: Origin whenever CORS is on.
void add_cors(Response& r, std::string_view origin, const std::vector<std::string>& allowed);

/// The answer to a preflight (OPTIONS) on read route `route`: 204 with the
/// methods and request headers a page may use when the origin is allowed,
/// else 403 origin_not_allowed.
[[nodiscard]] Response preflight_answer(std::string_view origin,
                                        const std::vector<std::string>& allowed);

}  // namespace erc20::api
