#pragma once
// An admin job: a long admin action (verify, compact, backup, rollback,
// reindex) that the daemon runs on its admin worker thread, off the HTTP
// threads. GET /admin/v1/jobs/{id} shows one; /v1/status's `admin_job` shows
// the one running.

#include <cstdint>
#include <string>

#include "api/json.hpp"

namespace erc20::api {

struct AdminJobStatus {
    uint64_t id{0};
    std::string action;            // verify, compact, backup, rollback, reindex
    std::string state{"running"};  // running, done (result_status 200), failed
    std::string started;           // RFC 3339 UTC, seconds
    double elapsed_s{0};           // so far, or until it ended
    uint64_t done{0};              // progress: `done` of `total` `unit`
    uint64_t total{0};             // 0: the action has no measure of its progress
    std::string unit;
    unsigned result_status{0};  // once ended: the action's HTTP status
    std::string result;         // once ended: the action's JSON answer
};

/// Writes `job` as one JSON object: id, action, state, started, elapsed_s,
/// progress ({done, total, unit}, or null without a measure), result_status
/// and result (both null while running).
void write_admin_job(JsonWriter& w, const AdminJobStatus& job);

}  // namespace erc20::api
