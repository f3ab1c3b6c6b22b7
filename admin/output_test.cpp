#include "admin/output.hpp"

#include <sstream>

#include <catch2/catch.hpp>

using namespace erc20;

namespace {
struct Printed {
    int rc;
    std::string out;
    std::string err;
};
Printed print(const std::string& name, unsigned status, const std::string& body,
              bool json = false) {
    config::CommandOptions c;
    c.name = name;
    c.json = json;
    std::ostringstream out, err;
    const int rc = admin::print_answer(c, status, body, out, err);
    return {rc, out.str(), err.str()};
}
}  // namespace

TEST_CASE("admin answers print as summaries with their exit codes", "[admin][output]") {
    SECTION("an error's message goes to stderr") {
        auto p = print("rollback", 400,
                       R"({"error":{"code":"bad_to_block","message":"rollback needs to_block"}})");
        CHECK(p.rc == 1);
        CHECK(p.err == "erc20-indexer rollback: rollback needs to_block\n");
        CHECK(p.out.empty());
    }
    SECTION("a refused add-tokens is a bad option") {
        CHECK(print("add-tokens", 400, R"({"error":{"code":"x","message":"m"}})").rc == 2);
    }
    SECTION("a rollback says where the cursor went") {
        auto p =
            print("rollback", 200,
                  R"({"from_block":30,"to_block":20,"transfers_undone":4,"tokens_removed":1})");
        CHECK(p.rc == 0);
        CHECK(
            p.out ==
            "rollback: cursor moved from block 30 to block 20, 4 transfers and 1 tokens undone\n");
    }
    SECTION("a verify mismatch exits 1") {
        const std::string body =
            R"({"block":9,"tokens":1,"checked":2,"mismatches":[{"token":"0xt","holder":"0xh","indexed":"5","chain":"6"}]})";
        auto p = print("verify", 200, body);
        CHECK(p.rc == 1);
        CHECK(p.out.find("MISMATCH token 0xt holder 0xh: indexed 5, balanceOf 6\n") == 0);
        CHECK(p.out.find("verify: block 9, 1 tokens, 2 balances checked, 1 mismatches") !=
              std::string::npos);
        CHECK(print("verify", 200, body, true).out == body + "\n");
    }
    SECTION("--json prints the answer as it is") {
        CHECK(print("compact", 200, R"({"db_size_bytes_before":2,"db_size_bytes_after":1})", true)
                  .out == "{\"db_size_bytes_before\":2,\"db_size_bytes_after\":1}\n");
    }
    SECTION("an unreadable answer exits 1") { CHECK(print("status", 200, "not json").rc == 1); }
}

TEST_CASE("status prints the figures of /v1/status", "[admin][output]") {
    auto p = print(
        "status", 200,
        R"({"block":7,"block_hash":"0xab","node_block":9,"lag_blocks":2,"state":"following",)"
        R"("node_reachable":true,"transfers_per_s":1.25,"tokens":3,"transfers":40,"db_size_bytes":2048,)"
        R"("admin_job":null})");
    CHECK(p.rc == 0);
    CHECK(p.out.find("state:        following\n") == 0);
    CHECK(p.out.find("block:        7 (0xab)\n") != std::string::npos);
    CHECK(p.out.find("lag:          2 blocks\n") != std::string::npos);
    CHECK(p.out.find("database:     2.0 KiB on disk\n") != std::string::npos);
}
