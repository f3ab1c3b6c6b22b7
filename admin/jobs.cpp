#include "admin/jobs.hpp"

#include <ctime>

#include <spdlog/spdlog.h>

#include "api/json.hpp"
#include "common/hex.hpp"

namespace erc20::admin {
namespace {

std::string rfc3339_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

api::AdminAnswer job_answer(unsigned status, const api::AdminJobStatus& job,
                            const std::string& code = {}, const std::string& message = {}) {
    api::JsonWriter w;
    w.begin_object();
    if (!code.empty()) {
        w.key("error").begin_object().field("code", code).field("message", message).end_object();
    }
    write_admin_job(w.key("job"), job);
    w.end_object();
    return {status, w.take()};
}

}  // namespace

Jobs::Jobs() : worker_([this](const std::stop_token& stop) { work(stop); }) {}

Jobs::~Jobs() { stop(); }

api::AdminAnswer Jobs::submit(const std::string& action, Task task) {
    std::lock_guard lock(mutex_);
    if (stopping_)
        return api::admin_error(503, "stopping", "the daemon is stopping: no new admin jobs");
    if (running_) {
        const auto& job = jobs_.at(*running_);
        return job_answer(
            409, snapshot(job), "busy",
            job.status.action + " (job " + std::to_string(job.status.id) +
                ") is running; one admin job runs at a time: ask again when it has ended");
    }
    const uint64_t id = next_id_++;
    Job job;
    job.status.id = id;
    job.status.action = action;
    job.status.started = rfc3339_now();
    job.started = std::chrono::steady_clock::now();
    jobs_.emplace(id, std::move(job));
    while (jobs_.size() > kKeptJobs) jobs_.erase(jobs_.begin());
    running_ = id;
    pending_.emplace(id, std::move(task));
    cv_.notify_all();
    spdlog::info("admin job {}: {} started", id, action);
    return job_answer(202, snapshot(jobs_.at(id)));
}

api::AdminAnswer Jobs::get(const std::string& id) const {
    auto n = parse_decimal_u64(id);
    std::lock_guard lock(mutex_);
    auto it = n ? jobs_.find(*n) : jobs_.end();
    if (it == jobs_.end()) {
        return api::admin_error(
            404, "unknown_job",
            "no admin job '" + id + "' (the last " + std::to_string(kKeptJobs) + " are kept)");
    }
    return job_answer(200, snapshot(it->second));
}

std::optional<api::AdminJobStatus> Jobs::running() const {
    std::lock_guard lock(mutex_);
    if (!running_) return std::nullopt;
    return snapshot(jobs_.at(*running_));
}

void Jobs::request_stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
}

void Jobs::stop() {
    request_stop();
    if (worker_.joinable()) {
        worker_.request_stop();
        worker_.join();
    }
}

api::AdminJobStatus Jobs::snapshot(const Job& job) const {
    api::AdminJobStatus s = job.status;
    if (s.state == "running") {
        s.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count();
    }
    return s;
}

void Jobs::work(const std::stop_token& stop) {
    for (;;) {
        std::pair<uint64_t, Task> next;
        {
            std::unique_lock lock(mutex_);
            // A job handed over before a stop still runs: it sees the stop at its first report.
            cv_.wait(lock, stop, [this] { return pending_.has_value(); });
            if (!pending_) return;
            next = std::move(*pending_);
            pending_.reset();
        }
        run(next.first, next.second);
    }
}

void Jobs::run(uint64_t id, const Task& task) {
    api::AdminAnswer answer = task([this, id](const Progress& p) { return report(id, p); });
    std::lock_guard lock(mutex_);
    auto& job = jobs_.at(id);  // a running job is never evicted: at most one runs
    job.status.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job.started).count();
    job.status.state = answer.status == 200 ? "done" : "failed";
    job.status.result_status = answer.status;
    job.status.result = std::move(answer.body);
    running_.reset();
    spdlog::info("admin job {}: {} {} in {:.1f} s (HTTP {})", id, job.status.action,
                 job.status.state, job.status.elapsed_s, answer.status);
}

bool Jobs::report(uint64_t id, const Progress& p) {
    std::lock_guard lock(mutex_);
    auto& job = jobs_.at(id);
    job.status.done = p.done;
    job.status.total = p.total;
    job.status.unit = p.unit;
    return !stopping_;
}

}  // namespace erc20::admin
