#include "admin/actions.hpp"

#include <filesystem>
#include <random>

#include <catch2/catch.hpp>

using namespace erc20;

namespace {
struct Fixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("erc20-admin-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<storage::Store> store = storage::Store::open((dir / "db").string(), {});
    std::vector<std::pair<std::optional<BlockNum>, bool>> rewinds;
    std::vector<std::vector<Address>> added;
    bool rewind_throws = false;
    admin::Context ctx{*store,
                       rpc::ClientOptions{},
                       [] { return api::NodeStatus{40, "following", true, 1, 2, 3}; },
                       [] { return 12.5; },
                       [this](std::optional<BlockNum> to, bool reindex) {
                           if (rewind_throws) throw std::runtime_error("node gone");
                           rewinds.emplace_back(to, reindex);
                           return indexer::RewindResult{30, to, 4, 1, {}};
                       },
                       [this](const std::vector<Address>& tokens) {
                           added.push_back(tokens);
                           return indexer::AddTokensResult{tokens, 0, 30};
                       }};

    Fixture() { store->bind_chain(31337); }
    ~Fixture() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
    std::variant<api::AdminAnswer, admin::Task> prepare(
        const std::string& action, const std::map<std::string, std::string>& params = {}) {
        return admin::prepare_action(ctx, action, params);
    }
    // The answer of a quick action or a refusal.
    api::AdminAnswer answer(const std::string& action,
                            const std::map<std::string, std::string>& params = {}) {
        auto p = prepare(action, params);
        REQUIRE(std::holds_alternative<api::AdminAnswer>(p));
        return std::get<api::AdminAnswer>(p);
    }
    // The answer of a long action, run here.
    api::AdminAnswer run(const std::string& action,
                         const std::map<std::string, std::string>& params = {}) {
        auto p = prepare(action, params);
        REQUIRE(std::holds_alternative<admin::Task>(p));
        return std::get<admin::Task>(p)([](const admin::Progress&) { return true; });
    }
};

bool has(const api::AdminAnswer& a, const std::string& text) {
    return a.body.find(text) != std::string::npos;
}
}  // namespace

TEST_CASE("admin actions refuse unknown actions and bad parameters", "[admin][actions]") {
    Fixture f;
    auto unknown = f.answer("explode");
    CHECK(unknown.status == 404);
    CHECK(has(unknown, "\"code\":\"unknown_action\""));
    CHECK(f.answer("rollback").status == 400);
    CHECK(has(f.answer("rollback", {{"to_block", "x"}}), "bad_to_block"));
    CHECK(has(f.answer("reindex"), "bad_from_block"));
    CHECK(has(f.answer("verify", {{"token", "0x12"}}), "bad_address"));
    CHECK(has(f.answer("verify", {{"sample", "many"}}), "bad_sample"));
    CHECK(has(f.answer("backup"), "bad_to"));
    CHECK(has(f.answer("add-tokens"), "bad_tokens"));
    CHECK(has(f.answer("add-tokens", {{"tokens", "0xzz"}}), "bad_address"));
    CHECK(f.rewinds.empty());
    CHECK(f.added.empty());
}

TEST_CASE("rollback and reindex rewind to the block they name", "[admin][actions]") {
    Fixture f;
    auto r = f.run("rollback", {{"to_block", "20"}});
    CHECK(r.status == 200);
    CHECK(r.body == R"({"from_block":30,"to_block":20,"transfers_undone":4,"tokens_removed":1})");
    f.run("reindex", {{"from_block", "10"}});
    f.run("reindex", {{"from_block", "0"}});
    REQUIRE(f.rewinds.size() == 3);
    CHECK(f.rewinds[0] == std::make_pair(std::optional<BlockNum>(20), false));
    CHECK(f.rewinds[1] == std::make_pair(std::optional<BlockNum>(9), true));  // to before block 10
    CHECK(f.rewinds[2] == std::make_pair(std::optional<BlockNum>(), true));   // before every block
    SECTION("a task that throws answers 500") {
        f.rewind_throws = true;
        auto failed = f.run("rollback", {{"to_block", "1"}});
        CHECK(failed.status == 500);
        CHECK(has(failed, "node gone"));
    }
}

TEST_CASE("status, add-tokens and backup answer as documented", "[admin][actions]") {
    Fixture f;
    auto status = f.answer("status");
    CHECK(status.status == 200);
    CHECK(has(status, "\"node_block\":40"));
    CHECK(has(status, "\"state\":\"following\""));
    CHECK(has(status, "\"transfers_per_s\":12.5"));
    CHECK(has(status, "\"admin_job\":null"));
    SECTION("the status is GET /v1/status's object, field for field") {
        const api::Router router(
            *f.store,
            [] {
                auto n = api::NodeStatus{40, "following", true, 1, 2, 3};
                n.transfers_per_s = 12.5;
                return n;
            },
            api::RouterOptions{.version = ERC20_INDEXER_VERSION});
        CHECK(status.body == router.handle("GET", "/v1/status").body);
        CHECK(has(status, "\"chain_id\":31337"));
        CHECK(has(status, "\"deepest_reorg\":2"));
    }

    auto add = f.answer("add-tokens", {{"tokens", "0x00000000000000000000000000000000000000bb"}});
    CHECK(add.status == 200);
    CHECK(
        add.body ==
        R"({"tokens":["0x00000000000000000000000000000000000000bb"],"from_block":0,"to_block":30})");
    REQUIRE(f.added.size() == 1);

    const std::string to = (f.dir / "backup").string();
    auto backup = f.run("backup", {{"to", to}});
    CHECK(backup.status == 200);
    CHECK(std::filesystem::exists(to));
    CHECK(has(f.answer("backup", {{"to", to}}), "\"code\":\"exists\""));
}
