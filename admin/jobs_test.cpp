#include "admin/jobs.hpp"

#include <future>

#include <catch2/catch.hpp>

using namespace erc20;

namespace {
bool has(const api::AdminAnswer& a, const std::string& text) {
    return a.body.find(text) != std::string::npos;
}

// Waits until job 1's answer says it ended.
api::AdminAnswer wait_ended(const admin::Jobs& jobs) {
    for (int i = 0; i < 500; ++i) {
        auto a = jobs.get("1");
        if (!has(a, "\"state\":\"running\"")) return a;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("job 1 did not end");
    return {};
}
}  // namespace

TEST_CASE("admin jobs run one at a time and keep their result", "[admin][jobs]") {
    admin::Jobs jobs;
    std::promise<void> release;
    auto released = release.get_future().share();
    auto started = jobs.submit("compact", [released](const admin::ProgressFn& progress) {
        progress(admin::Progress{1, 2, "column families"});
        released.wait();
        return api::AdminAnswer{200, R"({"ok":true})"};
    });
    CHECK(started.status == 202);
    CHECK(has(started, "\"id\":1"));
    CHECK(jobs.running());

    auto busy = jobs.submit("verify", [](const admin::ProgressFn&) {
        return api::AdminAnswer{200, "{}"};
    });
    CHECK(busy.status == 409);
    CHECK(has(busy, "\"code\":\"busy\""));

    release.set_value();
    auto done = wait_ended(jobs);
    CHECK(done.status == 200);
    CHECK(has(done, "\"state\":\"done\""));
    CHECK(has(done, "\"result\":{\"ok\":true}"));
    CHECK_FALSE(jobs.running());
    CHECK(jobs.get("99").status == 404);
    CHECK(jobs.get("x").status == 404);
}

TEST_CASE("a stopping worker refuses new jobs and tells the running one", "[admin][jobs]") {
    admin::Jobs jobs;
    std::promise<bool> asked_to_go_on;
    std::promise<void> stop_requested;
    auto stop_seen = stop_requested.get_future().share();
    jobs.submit("verify", [&, stop_seen](const admin::ProgressFn& progress) {
        stop_seen.wait();
        asked_to_go_on.set_value(progress(admin::Progress{}));
        return api::AdminAnswer{503, "{}"};
    });
    jobs.request_stop();
    stop_requested.set_value();
    CHECK_FALSE(asked_to_go_on.get_future().get());
    CHECK(jobs.submit("compact", [](const admin::ProgressFn&) { return api::AdminAnswer{}; })
              .status == 503);
    jobs.stop();
    CHECK(has(jobs.get("1"), "\"state\":\"failed\""));
}
