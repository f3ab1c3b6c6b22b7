#include "api/admin_job.hpp"

namespace erc20::api {

void write_admin_job(JsonWriter& w, const AdminJobStatus& job) {
    w.begin_object().field("id", job.id).field("action", job.action).field("state", job.state);
    w.field("started", job.started).field("elapsed_s", job.elapsed_s);
    if (job.total > 0) {
        w.key("progress")
            .begin_object()
            .field("done", job.done)
            .field("total", job.total)
            .field("unit", job.unit);
        w.end_object();
    } else {
        w.field_null("progress");
    }
    if (job.state == "running") {
        w.field_null("result_status").field_null("result");
    } else {
        w.field("result_status", uint64_t{job.result_status});
        w.key("result").raw(job.result.empty() ? std::string_view("null")
                                               : std::string_view(job.result));
    }
    w.end_object();
}

}  // namespace erc20::api
