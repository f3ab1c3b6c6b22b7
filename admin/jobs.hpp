#pragma once
// The daemon's admin worker: long admin actions (verify, compact, backup,
// rollback, reindex) run as jobs on one thread of their own, so the HTTP
// threads keep answering queries. One job at a time: a second long action
// while one runs is refused with 409 (the operator waits for the first and
// asks again; nothing runs later on its own). The last kKeptJobs jobs stay
// readable with GET /admin/v1/jobs/{id}.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "admin/actions.hpp"
#include "api/admin_job.hpp"

namespace erc20::admin {

class Jobs {
  public:
    static constexpr size_t kKeptJobs = 16;

    /// Starts the worker thread.
    Jobs();
    /// stop().
    ~Jobs();
    Jobs(const Jobs&) = delete;
    Jobs& operator=(const Jobs&) = delete;

    /// Starts `task` as a job and returns at once: 202 with the job, 409
    /// {"error": {"code": "busy"}, "job": ...} while another job runs, 503
    /// once stop() was called.
    api::AdminAnswer submit(const std::string& action, Task task);
    /// GET /admin/v1/jobs/{id}: 200 with the job, 404 for an id not kept.
    [[nodiscard]] api::AdminAnswer get(const std::string& id) const;
    /// The job running now, if any (for /v1/status).
    [[nodiscard]] std::optional<api::AdminJobStatus> running() const;

    /// Refuses new jobs and asks the running one to stop at its next
    /// progress report (a verify stops between batches; a backup finishes).
    void request_stop();
    /// request_stop(), then waits for the running job and joins the worker.
    void stop();

  private:
    struct Job {
        api::AdminJobStatus status;
        std::chrono::steady_clock::time_point started;
    };
    void work(const std::stop_token& stop);
    void run(uint64_t id, const Task& task);
    bool report(uint64_t id, const Progress& p);
    [[nodiscard]] api::AdminJobStatus snapshot(const Job& job) const;

    mutable std::mutex mutex_;
    std::condition_variable_any cv_;
    std::map<uint64_t, Job> jobs_;
    std::optional<std::pair<uint64_t, Task>> pending_;
    std::optional<uint64_t> running_;  // set from submit until the job ended
    uint64_t next_id_{1};
    bool stopping_{false};
    std::jthread worker_;  // last: started after the members it uses
};

}  // namespace erc20::admin
