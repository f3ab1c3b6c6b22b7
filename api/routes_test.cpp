#include "api/routes.hpp"

#include <filesystem>
#include <random>

#include <catch2/catch.hpp>

#include "api/testing/router_fixture.hpp"
#include "common/hex.hpp"

using namespace erc20;

using Fixture = api::testing::RouterFixture;

TEST_CASE("token and holders answers carry the block and exact amounts", "[api][routes]") {
    Fixture f;
    auto r = f.get("/v1/tokens/0x00000000000000000000000000000000000000AA");
    CHECK(r.status == 200);
    CHECK(r.body.find("\"block\":10") != std::string::npos);
    CHECK(r.body.find("\"minted\":\"900\"") != std::string::npos);
    CHECK(r.body.find("\"holders\":5") != std::string::npos);
    auto h = f.get("/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=2");
    CHECK(h.status == 200);
    // 300 (holder 3), then ties at 200 by address: holder 2, holder 5.
    CHECK(h.body.find(
              "\"address\":\"0x0000000000000000000000000000000000000003\",\"balance\":\"300\"") !=
          std::string::npos);
    CHECK(h.body.find("\"next_cursor\":\"") != std::string::npos);
    auto t = f.get("/v1/tokens/0x00000000000000000000000000000000000000aa/transfers?limit=10");
    CHECK(t.body.find("\"timestamp\":1700000000") != std::string::npos);
    CHECK(t.body.find("\"next_cursor\":null") != std::string::npos);
}

TEST_CASE("bad input gets a JSON 4xx", "[api][routes]") {
    Fixture f;
    struct Case {
        std::string target;
        unsigned status;
        std::string code;
    };
    for (const auto& c : std::vector<Case>{
             {"/v1/tokens/0xZZ", 400, "bad_address"},
             {"/v1/tokens/0x00000000000000000000000000000000000000ab", 404, "unknown_token"},
             {"/v1/nope", 404, "not_found"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=0", 400,
              "bad_limit"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=abc", 400,
              "bad_limit"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=100000", 400,
              "bad_limit"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=-1", 400,
              "bad_limit"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?cursor=hzz", 400,
              "bad_cursor"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?cursor=00", 400,
              "bad_cursor"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/"
              "holders?cursor=000000000000000000ff",
              400, "bad_cursor"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?block=11", 400,
              "block_out_of_range"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?format=xml", 400,
              "bad_format"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?format=csv&limit=5",
              400, "bad_parameter"},
             {"/v1/tokens?order=size", 400, "bad_order"},
             {"/v1/accounts/0x0000000000000000000000000000000000000001/transfers?direction=up", 400,
              "bad_direction"},
             {"/v1/accounts/0x01/balances", 400, "bad_address"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/distribution?exclude=0x1", 400,
              "bad_address"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limt=5", 400,
              "unknown_parameter"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/transfers?from_block=1e9", 400,
              "bad_from_block"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/"
              "transfers?to_block=99999999999999999999999",
              400, "bad_to_block"},
             {"/v1/tokens/0x00000000000000000000000000000000000000aa/transfers?cursor=x123", 400,
              "bad_cursor"},
             {"/v1/tokens?cursor=%zz", 400, "bad_query"},
             {"/v1/tokens/../../etc/passwd", 404, "not_found"},
         }) {
        auto r = f.get(c.target);
        INFO(c.target << " -> " << r.body);
        CHECK(r.status == c.status);
        CHECK(r.body.find("\"code\":\"" + c.code + "\"") != std::string::npos);
    }
    auto r = f.router->handle("POST", "/v1/status");
    CHECK(r.status == 405);
}

TEST_CASE("walking holder pages yields every holder once", "[api][routes]") {
    Fixture f;
    std::string target = "/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=2";
    size_t seen = 0;
    for (int pages = 0; pages < 10; ++pages) {
        auto r = f.get(target);
        REQUIRE(r.status == 200);
        for (size_t p = r.body.find("\"address\""); p != std::string::npos;
             p = r.body.find("\"address\"", p + 1))
            ++seen;
        auto c = r.body.find("\"next_cursor\":\"");
        if (c == std::string::npos) break;
        auto start = c + 15;
        auto end = r.body.find('"', start);
        target = "/v1/tokens/0x00000000000000000000000000000000000000aa/holders?limit=2&cursor=" +
                 r.body.substr(start, end - start);
    }
    CHECK(seen == 5);
}

TEST_CASE("admin jobs: GET /admin/v1/jobs/{id}, POST actions, the running job in /v1/status",
          "[api][routes][admin]") {
    Fixture f;
    const std::string token = "0123456789abcdef";
    std::string asked;
    api::RouterOptions options;
    options.admin_token = token;
    options.admin = [](const std::string& action, const std::map<std::string, std::string>&) {
        return api::AdminAnswer{202, "{\"action\":\"" + action + "\"}"};
    };
    options.admin_job = [&asked](const std::string& id) {
        asked = id;
        return api::AdminAnswer{200, "{\"job\":{}}"};
    };
    api::AdminJobStatus job;
    job.id = 7;
    job.action = "verify";
    job.started = "2026-12-01T21:00:00Z";
    job.done = 3;
    job.total = 9;
    job.unit = "balances";
    api::Router router(
        *f.store,
        [job] {
            api::NodeStatus n{12, "following", true, 0, 0, 0};
            n.admin_job = job;
            return n;
        },
        options);
    const std::string auth = "Bearer " + token;
    auto call = [&](std::string_view method, std::string_view target,
                    std::string_view authorization) {
        return router.handle(api::Request{method, target, {}, authorization});
    };

    SECTION("a job is read with GET, an action is a POST") {
        auto r = call("GET", "/admin/v1/jobs/42", auth);
        CHECK(r.status == 200);
        CHECK(asked == "42");
        CHECK(r.route == "/admin/v1/jobs/{id}");
        auto post_job = call("POST", "/admin/v1/jobs/42", auth);
        CHECK(post_job.status == 405);
        CHECK(post_job.allow == "GET");
        auto get_action = call("GET", "/admin/v1/verify", auth);
        CHECK(get_action.status == 405);
        CHECK(get_action.allow == "POST");
        CHECK(call("POST", "/admin/v1/verify", auth).status == 202);
    }
    SECTION("both need the token") {
        CHECK(call("GET", "/admin/v1/jobs/42", "").status == 401);
        CHECK(call("POST", "/admin/v1/verify", "Bearer wrong").status == 401);
        CHECK(asked.empty());
    }
    SECTION("/v1/status shows the running job, the size on disk and the rate") {
        auto r = router.handle("GET", "/v1/status");
        CHECK(r.status == 200);
        CHECK(r.body.find("\"admin_job\":{\"id\":7,\"action\":\"verify\",\"state\":\"running\","
                          "\"started\":\"2026-12-01T21:00:00Z\",\"elapsed_s\":0") !=
              std::string::npos);
        CHECK(r.body.find("\"progress\":{\"done\":3,\"total\":9,\"unit\":\"balances\"},"
                          "\"result_status\":null,\"result\":null}") != std::string::npos);
        CHECK(r.body.find("\"db_size_bytes\":" + std::to_string(f.store->size_bytes())) !=
              std::string::npos);
        CHECK(r.body.find("\"transfers_per_s\":") != std::string::npos);
        CHECK(f.get("/v1/status").body.find("\"admin_job\":null") != std::string::npos);
    }
}

TEST_CASE("series refuse more items than a series has before reading them", "[api][routes]") {
    Fixture f;
    // Blocks 11..1200, an hour apart: 1,201 blocks in all, each in an hour of its own from 10 on.
    storage::BlockBatch batch{11, storage::Cursor{1200, {}}, {}, {}, {}, 0};
    for (BlockNum b = 11; b <= 1200; ++b)
        batch.block_times.emplace_back(b, 1700000000 + (b - 10) * 3600);
    f.store->apply(batch);
    const std::string base = "/v1/tokens/0x00000000000000000000000000000000000000aa/series?";
    auto many = f.get(base + "from_block=0&step=1");
    CHECK(many.status == 400);
    CHECK(many.body.find("\"too_many_items\"") != std::string::npos);
    CHECK(many.body.find("makes 1201 items; a series has at most 1000") != std::string::npos);
    CHECK(f.get(base + "from_block=201&step=1").status == 200);  // exactly 1,000
    auto dist = f.get(base + "from_block=0&step=12&distribution=true");
    CHECK(dist.status == 400);
    CHECK(dist.body.find("at most 100 with distribution=true") != std::string::npos);
    CHECK(f.get(base + "from_block=0&step=13&distribution=true").status == 200);
    // Hours: blocks 10..1200 each in its own hour (block 10 an hour before 11).
    auto hours = f.get(base + "period=hour");
    CHECK(hours.status == 400);
    CHECK(hours.body.find("period=hour over blocks 10 to 1200 makes more than 1000 items") !=
          std::string::npos);
    CHECK(f.get(base + "period=hour&from_block=201").status == 200);
    CHECK(f.get(base + "period=day").status == 200);
    auto both = f.get(base + "step=2&period=day");
    CHECK(both.status == 400);
    CHECK(both.body.find("give one of step=N") != std::string::npos);
    CHECK(f.get(base + "step=1&to_block=1201").status == 400);
}

TEST_CASE("series refuse more transfers than the activity figures read, before reading them",
          "[api][routes]") {
    Fixture f;
    // 250,001 more transfers of the token: blocks 11..261, 1,000 a block (the last one 1).
    std::vector<storage::Transfer> ts;
    for (BlockNum b = 11; b <= 261; ++b) {
        for (uint32_t i = 0; i < (b == 261 ? 1U : 1000U); ++i) {
            storage::Transfer t;
            t.block_num = b;
            t.log_index = i;
            t.token = f.token;
            t.to.bytes[18] = static_cast<uint8_t>((i + 1) >> 8);
            t.to.bytes[19] = static_cast<uint8_t>(i + 1);
            t.value = U256(1);
            ts.push_back(t);
        }
    }
    f.store->apply(storage::BlockBatch{11, storage::Cursor{261, {}}, ts, {}, {}, 0});
    const std::string base = "/v1/tokens/0x00000000000000000000000000000000000000aa/series?";
    auto over = f.get(base + "step=100");  // 250,006 transfers from block 10
    CHECK(over.status == 400);
    CHECK(over.body.find("\"range_too_large\"") != std::string::npos);
    CHECK(over.body.find("hold 250006 transfers of this token, more than the 250000") !=
          std::string::npos);
    auto lean = f.get(base + "step=100&activity=false");
    CHECK(lean.status == 200);
    CHECK(lean.body.find("\"transfers\":99005}") != std::string::npos);  // blocks 10..109
    CHECK(lean.body.find("senders") == std::string::npos);
    CHECK(f.get(base + "from_block=250&to_block=252&step=1").status == 200);
}

TEST_CASE("/v1/status and /metrics show a backfill's progress, and nothing while following",
          "[api][routes]") {
    Fixture f;
    SyncProgress p{101, 5000, 250.5, 1200.0, std::nullopt};
    api::Router router(
        *f.store,
        [p] {
            api::NodeStatus n{5000, "backfilling", true, 0, 0, 0};
            n.progress = p;
            return n;
        },
        api::RouterOptions{});
    auto status = router.handle("GET", "/v1/status");
    CHECK(
        status.body.find("\"progress\":{\"from_block\":101,\"target_block\":5000,"
                         "\"blocks_per_s\":250.5,\"transfers_per_s\":1200,\"eta_seconds\":null}") !=
        std::string::npos);
    auto metrics = router.handle("GET", "/metrics");
    CHECK(metrics.body.find("\nerc20_sync_target_block 5000\n") != std::string::npos);
    CHECK(metrics.body.find("\nerc20_sync_from_block 101\n") != std::string::npos);
    CHECK(metrics.body.find("\nerc20_sync_blocks_per_second 250.5\n") != std::string::npos);
    CHECK(metrics.body.find("erc20_sync_eta_seconds") == std::string::npos);  // unknown: absent
    // The fixture's daemon follows: no progress.
    CHECK(f.get("/v1/status").body.find("\"progress\":null") != std::string::npos);
    CHECK(f.get("/metrics").body.find("erc20_sync_") == std::string::npos);
}

TEST_CASE("every answer says nosniff; the page is served at / and the API's 404 elsewhere",
          "[api][routes]") {
    Fixture f;
    for (std::string_view target : {"/", "/v1/status", "/nope", "/assets/nope.js"}) {
        auto r = f.get(std::string(target));
        INFO(target);
        bool nosniff = false;
        for (const auto& [k, v] : r.headers)
            nosniff |= k == "X-Content-Type-Options" && v == "nosniff";
        CHECK(nosniff);
    }
    CHECK(f.get("/").content_type == "text/html; charset=utf-8");
    CHECK(f.get("/nope").status == 404);
    CHECK(f.get("/nope").content_type == "application/json");
}
