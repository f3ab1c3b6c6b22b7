#pragma once
// The handlers of the analytics routes (issue #14): a token's economics and
// an account's position over time. routes.cpp's table maps them to paths;
// each file beside this one holds one route.

#include "api/call.hpp"

namespace erc20::api {

/// GET /v1/tokens/{token}/distribution (distribution_route.cpp).
Response serve_distribution(Call& c);

/// GET /v1/tokens/{token}/series (series_route.cpp).
Response serve_token_series(Call& c);

/// GET /v1/series (chain_series_route.cpp).
Response serve_chain_series(Call& c);

/// GET /v1/tokens/{token}/flows (flows.cpp).
Response serve_flows(Call& c);

/// GET /v1/accounts/{account}/tokens/{token}/history (account_history.cpp).
Response serve_account_history(Call& c);

}  // namespace erc20::api
