#pragma once
// The process_* families every Prometheus client library exports (read from
// /proc/self on Linux), so the usual dashboards and alerts work unchanged.

#include <string>

namespace erc20::api {

/// process_cpu_seconds_total, process_resident_memory_bytes,
/// process_virtual_memory_bytes, process_open_fds, process_max_fds and
/// process_start_time_seconds in the text exposition format; a family whose
/// source cannot be read is left out.
[[nodiscard]] std::string render_process_metrics();

}  // namespace erc20::api
