#pragma once
// The handlers of the operations routes: /healthz, /readyz, /metrics and
// /v1/status (what an operator, a load balancer and the dashboard's status
// view read). routes.cpp's table maps them to paths.

#include "api/call.hpp"

namespace erc20::api {

/// GET /healthz: the process answers.
Response serve_healthz(Call& c);
/// GET /readyz: 503 while the lag is above --ready-max-lag.
Response serve_readyz(Call& c);
/// GET /metrics: Prometheus text.
Response serve_metrics_text(Call& c);
/// GET /v1/status.
Response serve_status(Call& c);

}  // namespace erc20::api
