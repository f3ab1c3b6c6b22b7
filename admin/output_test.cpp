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

TEST_CASE("status --json adds the command's own figures under local", "[admin][output]") {
    const admin::LocalFigures local{"database", "http://127.0.0.1:8547", "/srv/db", 4096, 12};
    SECTION("beside the keys of /v1/status") {
        const std::string body = admin::with_local(R"({"block":7,"node_block":null} )", local);
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        REQUIRE(parser.parse(body).get(doc) == simdjson::SUCCESS);
        CHECK(uint64_t(doc["block"]) == 7);
        CHECK(doc["node_block"].is_null());
        CHECK(std::string_view(doc["local"]["source"]) == "database");
        CHECK(std::string_view(doc["local"]["db"]) == "/srv/db");
        CHECK(uint64_t(doc["local"]["db_dir_bytes"]) == 4096);
        CHECK(uint64_t(doc["local"]["node_block"]) == 12);
    }
    SECTION("an empty object, and what is not an object") {
        CHECK(admin::with_local("{}", {"daemon", "u", "d", std::nullopt, std::nullopt}) ==
              R"({"local":{"source":"daemon","listen":"u","db":"d","db_dir_bytes":null,)"
              R"("node_block":null}})");
        CHECK(admin::with_local("[1]", local) == "[1]");
    }
    SECTION("the human summary shows the node head the command read") {
        auto p =
            print("status", 200,
                  admin::with_local(R"({"block":7,"node_block":null,"state":"stopped"})", local));
        CHECK(p.out.find("node block:   12 (read now from --rpc-url)\n") != std::string::npos);
    }
}

TEST_CASE("progress: a line rewritten in place only on a terminal", "[admin][output]") {
    config::CommandOptions c;
    c.name = "verify";
    std::ostringstream out;
    SECTION("elsewhere, whole lines every few seconds and the last figures at the end") {
        admin::ProgressLine line(c, out, false, 5.0);
        line.show(1, 10, "balances", 0.0);
        line.show(2, 10, "balances", 1.0);  // too soon: kept
        line.show(6, 10, "balances", 6.0);
        line.show(9, 10, "balances", 7.0);  // kept, written by finish()
        line.finish();
        CHECK(out.str() ==
              "verify: 1 of 10 balances (10%), 0 s\n"
              "verify: 6 of 10 balances (60%), 6 s\n"
              "verify: 9 of 10 balances (90%), 7 s\n");
        CHECK(out.str().find('\r') == std::string::npos);
    }
    SECTION("on a terminal, \\r frames and a bar, ended by finish()") {
        admin::ProgressLine line(c, out, true, 5.0);
        line.show_text("block 5 of 10", 0.5, 0.0);
        line.show_text("block 10 of 10", 1.0, 0.5);
        line.finish();
        const std::string s = out.str();
        CHECK(s.rfind("\rverify: [###############...............] block 5 of 10   ", 0) == 0);
        CHECK(s.find("\rverify: [##############################] block 10 of 10   \n") !=
              std::string::npos);
    }
    SECTION("nothing with --json") {
        c.json = true;
        admin::ProgressLine line(c, out, true, 5.0);
        line.show(1, 2, "x", 0);
        line.finish();
        CHECK(out.str().empty());
    }
}
