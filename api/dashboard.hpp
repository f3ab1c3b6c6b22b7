#pragma once
// The dashboard at / (web/, embedded at build time): the page, revalidated by
// its ETag, and its hashed assets, cached for good; a strict
// Content-Security-Policy (no inline script or style, no eval, nothing from
// another origin), no cookies, nothing but GET and HEAD.

#include <optional>
#include <string_view>

#include "api/routes.hpp"

namespace erc20::api {

/// The Content-Security-Policy of the dashboard's answers.
inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// GET or HEAD of /, /docs (the API reference), /openapi.yaml or
/// /assets/...: the answer; any other request: none (the API's routes answer it).
[[nodiscard]] std::optional<Response> dashboard_answer(const Request& request,
                                                       std::string_view path);

}  // namespace erc20::api
