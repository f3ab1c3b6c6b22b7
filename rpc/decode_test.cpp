#include "rpc/decode.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "common/hex.hpp"
#include "common/strings.hpp"
#include "rpc/testing/answers.hpp"

namespace erc20::rpc {
using namespace testing;  // NOLINT(google-build-using-namespace): the canned answers

TEST_CASE("decode_logs reads an ERC20 Transfer with 3 topics", "[rpc][decode]") {
    auto r = logs_of(answer("[" + log_json() + "]"));
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    const Log& log = r->front();
    CHECK(to_hex(log.address) == kToken);
    CHECK(log.topic_count == 3);
    CHECK(to_hex(log.topics[0]) == kTransfer);
    CHECK(to_hex(log.topics[1]) == kFrom);
    CHECK(to_hex(log.topics[2]) == kTo);
    CHECK(log.topics[3] == Hash{});
    CHECK(log.data_size == 32);
    CHECK(log.data_word[31] == 0x2a);
    CHECK(log.block_num == 0x1234);
    CHECK(to_hex(log.block_hash) == kBlockHash);
    CHECK(to_hex(log.txn_hash) == kTxnHash);
    CHECK(log.txn_index == 5);
    CHECK(log.log_index == 0x1a);
    CHECK_FALSE(log.removed);
}

TEST_CASE("decode_logs reads other topic counts and data sizes", "[rpc][decode]") {
    const std::string id = quote("0x" + std::string(63, '0') + "7");
    SECTION("4 topics, empty data (ERC721 Transfer)") {
        auto r = logs_of(answer("[" +
                                log_json({{"topics", "[" + quote(kTransfer) + "," + quote(kFrom) +
                                                         "," + quote(kTo) + "," + id + "]"},
                                          {"data", R"("0x")"}}) +
                                "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).topic_count == 4);
        CHECK(r->at(0).topics[3].bytes[31] == 7);
        CHECK(r->at(0).data_size == 0);
        CHECK(r->at(0).data_word == std::array<uint8_t, 32>{});
    }
    SECTION("5 topics keep the first 4 and the real count") {
        auto r = logs_of(
            answer("[" +
                   log_json({{"topics", "[" + quote(kTransfer) + "," + quote(kFrom) + "," +
                                            quote(kTo) + "," + id + "," + quote(kTxnHash) + "]"}}) +
                   "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).topic_count == 5);
        CHECK(r->at(0).topics[3].bytes[31] == 7);
    }
    SECTION("no topics") {
        auto r = logs_of(answer("[" + log_json({{"topics", "[]"}}) + "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).topic_count == 0);
    }
    SECTION("300 topics saturate at 255") {
        std::string topics = "[" + quote(kTransfer);
        for (int i = 1; i < 300; ++i) {
            topics += ',';
            topics += quote(kFrom);
        }
        auto r = logs_of(answer("[" + log_json({{"topics", topics + "]"}}) + "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).topic_count == 255);
    }
    SECTION("data longer than a word keeps the first word") {
        auto r = logs_of(
            answer("[" + log_json({{"data", quote(kAmount + std::string(64, 'f'))}}) + "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).data_size == 64);
        CHECK(r->at(0).data_word[31] == 0x2a);
        CHECK(r->at(0).data_word[0] == 0);
    }
    SECTION("data shorter than a word is zero-padded on the right") {
        auto r = logs_of(answer("[" + log_json({{"data", R"("0xABcd")"}}) + "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).data_size == 2);
        CHECK(r->at(0).data_word[0] == 0xab);
        CHECK(r->at(0).data_word[1] == 0xcd);
        CHECK(r->at(0).data_word[2] == 0);
    }
    SECTION("removed is optional and read when present") {
        auto r = logs_of(answer("[" + log_json({{"-removed", ""}}) + "," +
                                log_json({{"removed", "true"}}) + "]"));
        REQUIRE(r.ok());
        REQUIRE(r->size() == 2);
        CHECK_FALSE(r->at(0).removed);
        CHECK(r->at(1).removed);
    }
    SECTION("unknown fields are ignored") {
        const std::string extra = R"({"a":[1,{"b":null}]})";
        auto r = logs_of(
            answer("[" + log_json({{"blockTimestamp", R"("0x65")"}, {"extra", extra}}) + "]"));
        REQUIRE(r.ok());
        CHECK(r->at(0).log_index == 0x1a);
    }
    SECTION("fields in any order, before or after id") {
        auto r = logs_of(R"({"result":[)" + log_json() + R"(],"id":1,"jsonrpc":"2.0"})");
        REQUIRE(r.ok());
        CHECK(r->size() == 1);
    }
    SECTION("empty result") {
        auto r = logs_of(answer("[]"));
        REQUIRE(r.ok());
        CHECK(r->empty());
    }
}

TEST_CASE("decode_logs rejects malformed logs", "[rpc][decode]") {
    SECTION("odd data length") {
        CHECK(kind_of_logs(answer("[" + log_json({{"data", R"("0x123")"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("bad hex in data") {
        CHECK(kind_of_logs(answer("[" + log_json({{"data", R"("0x12zz")"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("data without 0x") {
        CHECK(kind_of_logs(answer("[" + log_json({{"data", R"("1234")"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("each required field missing") {
        for (const char* name : {"address", "topics", "data", "blockNumber", "blockHash",
                                 "transactionHash", "transactionIndex", "logIndex"}) {
            INFO(name);
            CHECK(kind_of_logs(answer("[" + log_json({{std::string("-") + name, ""}}) + "]")) ==
                  Kind::kMalformed);
        }
    }
    SECTION("leading-zero and empty quantities") {
        CHECK(kind_of_logs(answer("[" + log_json({{"blockNumber", R"("0x01234")"}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"logIndex", R"("0x00")"}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"logIndex", R"("0x")"}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"blockNumber", R"("1234")"}}) + "]")) ==
              Kind::kMalformed);
        CHECK(logs_of(answer("[" + log_json({{"logIndex", R"("0x0")"}}) + "]")).ok());
    }
    SECTION("numbers instead of QUANTITY strings") {
        CHECK(kind_of_logs(answer("[" + log_json({{"blockNumber", "4660"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("null blockNumber (a pending log)") {
        CHECK(kind_of_logs(answer("[" + log_json({{"blockNumber", "null"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("indexes beyond 32 bits") {
        CHECK(kind_of_logs(answer("[" + log_json({{"logIndex", R"("0x100000000")"}}) + "]")) ==
              Kind::kMalformed);
    }
    SECTION("address and hash lengths") {
        CHECK(kind_of_logs(answer("[" + log_json({{"address", quote(kToken + "00")}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"address", quote(kToken.substr(0, 41))}}) +
                                  "]")) == Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"blockHash", quote(kBlockHash + "b")}}) +
                                  "]")) == Kind::kMalformed);
        CHECK(kind_of_logs(
                  answer("[" + log_json({{"topics", "[" + quote(kTransfer.substr(0, 64)) + "]"}}) +
                         "]")) == Kind::kMalformed);
    }
    SECTION("wrong shapes") {
        CHECK(kind_of_logs(answer(R"({"logs":[]})")) == Kind::kMalformed);
        CHECK(kind_of_logs(answer("[1]")) == Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"topics", quote(kTransfer)}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs(answer("[" + log_json({{"removed", R"("false")"}}) + "]")) ==
              Kind::kMalformed);
        CHECK(kind_of_logs("[]") == Kind::kMalformed);
        CHECK(kind_of_logs("") == Kind::kMalformed);
        CHECK(kind_of_logs("<html>Bad gateway</html>") == Kind::kMalformed);
    }
    SECTION("trailing content") {
        CHECK(kind_of_logs(answer("[]") + " {}") == Kind::kMalformed);
        CHECK(kind_of_logs(answer("[]") + " x") == Kind::kMalformed);
    }
}

TEST_CASE("decode_logs rejects every truncation of a valid answer", "[rpc][decode]") {
    std::string logs = "[";
    logs += log_json();
    logs += ',';
    logs += log_json();
    logs += ']';
    const std::string body = answer(logs);
    REQUIRE(logs_of(body).ok());
    simdjson::ondemand::parser parser;  // reused, as a Client does
    for (size_t n = 0; n < body.size(); ++n) {
        std::string cut = body.substr(0, n);
        auto r = decode_logs(parser, cut);
        INFO(cut);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
}

TEST_CASE("decoders check the answer id", "[rpc][decode]") {
    SECTION("missing id") {
        CHECK(kind_of_logs(R"({"jsonrpc":"2.0","result":[]})") == Kind::kMalformed);
    }
    SECTION("another id") { CHECK(kind_of_logs(answer("[]", 2)) == Kind::kMalformed); }
    SECTION("string id") {
        CHECK(kind_of_logs(R"({"jsonrpc":"2.0","id":"1","result":[]})") == Kind::kMalformed);
    }
    SECTION("neither result nor error") {
        CHECK(kind_of_logs(R"({"jsonrpc":"2.0","id":1})") == Kind::kMalformed);
    }
    SECTION("an error with a null id is still the error") {
        auto r = logs_of(error_answer(R"({"code":-32700,"message":"parse error"})", "null"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
        CHECK(r.error().code == -32700);
    }
}

TEST_CASE("decode_quantity reads canonical QUANTITY results", "[rpc][decode]") {
    simdjson::ondemand::parser parser;
    auto q = [&](std::string body) { return decode_quantity(parser, body); };
    CHECK(q(answer(R"("0x1")")).value() == 1);
    CHECK(q(answer(R"("0x0")")).value() == 0);
    CHECK(q(answer(R"("0xffffffffffffffff")")).value() == UINT64_MAX);
    CHECK(q(answer(R"("0x01")")).error().kind == Kind::kMalformed);
    CHECK(q(answer(R"("0x10000000000000000")")).error().kind == Kind::kMalformed);
    CHECK(q(answer(R"("5x5")")).error().kind == Kind::kMalformed);
    CHECK(q(answer("1")).error().kind == Kind::kMalformed);
}

TEST_CASE("JSON-RPC error objects are classified", "[rpc][decode]") {
    SECTION("a plain error is rpc_error with code and message") {
        auto r = logs_of(error_answer(R"({"code":-32601,"message":"method not found"})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
        CHECK(r.error().code == -32601);
        CHECK(r.error().message == "method not found");
    }
    SECTION("-32005 with a suggested range in the message") {
        auto r = logs_of(error_answer(
            R"({"code":-32005,"message":"query returned more than 10000 results. Try with this block range [0x1B4, 0x1F4]."})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRangeTooLarge);
        CHECK(r.error().code == -32005);
        CHECK(r.error().suggested_to == BlockNum{0x1f4});
    }
    SECTION("-32005 with the range in data (Infura)") {
        auto r = logs_of(error_answer(
            R"({"code":-32005,"message":"query returned more than 10000 results","data":{"from":"0x100","to":"0x1ff","limit":10000}})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRangeTooLarge);
        CHECK(r.error().suggested_to == BlockNum{0x1ff});
    }
    SECTION("a range in a data string") {
        auto r = logs_of(error_answer(
            R"({"code":-32602,"message":"Log response size exceeded.","data":"this block range should work: [0x0, 0x1b39]"})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRangeTooLarge);
        CHECK(r.error().suggested_to == BlockNum{0x1b39});
    }
    SECTION("range messages without a suggestion") {
        for (const char* message :
             {"eth_getLogs block range too large", "Block Range is too large",
              "exceed maximum block range: 50000", "Log response size exceeded", "limit exceeded",
              "too many blocks"}) {
            INFO(message);
            auto r = logs_of(
                error_answer(R"({"code":-32000,"message":")" + std::string(message) + R"("})"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == Kind::kRangeTooLarge);
            CHECK_FALSE(r.error().suggested_to);
        }
    }
    SECTION("range phrases outside eth_getLogs are rpc_error") {
        auto r = call_of(error_answer(R"({"code":-32005,"message":"limit exceeded"})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
    }
    SECTION("rate limits in error objects are rate_limited") {
        auto r = logs_of(error_answer(
            R"({"code":-32005,"message":"daily request count exceeded, request rate limited"})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRateLimited);
        auto t = call_of(error_answer(R"({"code":429,"message":"Too Many Requests"})"));
        REQUIRE_FALSE(t.ok());
        CHECK(t.error().kind == Kind::kRateLimited);
    }
    SECTION("eth_call reverts") {
        for (const char* error :
             {R"({"code":3,"message":"execution reverted","data":"0x08c379a0"})",
              R"({"code":3,"message":"anything"})",
              R"({"code":-32000,"message":"execution reverted"})",
              R"({"code":-32000,"message":"invalid opcode: INVALID"})",
              R"({"code":-32015,"message":"VM execution error.","data":"Reverted 0x"})"}) {
            INFO(error);
            auto r = call_of(error_answer(error));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == Kind::kReverted);
        }
    }
    SECTION("a block or state the node lacks is unavailable") {
        for (
            const char* error :
            {R"({"code":-32000,"message":"header not found"})",
             R"({"code":-32000,"message":"missing trie node 7c2f (path ) state 0x7c2f is not available"})",
             R"({"code":-32000,"message":"header for hash not found"})",
             R"({"code":-32000,"message":"unknown block"})",
             R"({"code":-32001,"message":"Resource not found"})"}) {
            INFO(error);
            auto r = call_of(error_answer(error));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == Kind::kUnavailable);
        }
    }
    SECTION("other eth_call errors stay rpc_error") {
        auto r = call_of(error_answer(R"({"code":-32601,"message":"method not found"})"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
    }
    SECTION("error objects of the wrong shape are malformed") {
        CHECK(kind_of_logs(error_answer(R"("boom")")) == Kind::kMalformed);
        CHECK(kind_of_logs(error_answer(R"({"code":"x","message":"boom"})")) == Kind::kMalformed);
    }
}

TEST_CASE("find_suggested_to reads the last number of a range", "[rpc][decode]") {
    CHECK(find_suggested_to("try [0x10, 0x20]") == BlockNum{0x20});
    CHECK(find_suggested_to("try [0x10,0x20] or [1, 2]") == BlockNum{0x20});
    CHECK(find_suggested_to("[x] then [100, 200]") == BlockNum{200});
    CHECK_FALSE(find_suggested_to("no range here"));
    CHECK_FALSE(find_suggested_to("[0x10, ]"));
    CHECK_FALSE(find_suggested_to("[0x10, 0x20"));
}

TEST_CASE("decode_call reads return data", "[rpc][decode]") {
    CHECK(call_of(answer(R"("0x")")).value().empty());
    CHECK(call_of(answer(R"("0x0012")")).value() == std::vector<uint8_t>{0x00, 0x12});
    CHECK(call_of(answer(R"("0x012")")).error().kind == Kind::kMalformed);
    CHECK(call_of(answer("null")).error().kind == Kind::kMalformed);
}

TEST_CASE("decode_header reads headers and null", "[rpc][decode]") {
    simdjson::ondemand::parser parser;
    auto h = [&](std::string body) { return decode_header(parser, body); };
    SECTION("a header") {
        std::string bloom = "0x" + std::string(510, '0') + "80";
        auto r = h(answer(header_json(0x10, bloom)));
        REQUIRE(r.ok());
        REQUIRE(r.value().has_value());
        const BlockHeader& header = **r;
        CHECK(header.block_num == 0x10);
        CHECK(header.hash.bytes[31] == 0xa6);
        CHECK(to_hex(header.parent_hash) == kBlockHash);
        CHECK(header.timestamp == 0x65000000);
        CHECK(header.logs_bloom[255] == 0x80);
        CHECK(header.logs_bloom[0] == 0);
    }
    SECTION("null is nullopt") {
        auto r = h(answer("null"));
        REQUIRE(r.ok());
        CHECK_FALSE(r.value().has_value());
    }
    SECTION("a bloom of the wrong size") {
        CHECK(h(answer(header_json(1, "0x" + std::string(510, '0')))).error().kind ==
              Kind::kMalformed);
        CHECK(h(answer(header_json(1, "0x" + std::string(514, '0')))).error().kind ==
              Kind::kMalformed);
    }
    SECTION("a missing field") {
        std::string body = answer(header_json(1));
        body.replace(body.find("\"timestamp\""), 11, "\"timeStamp\"");
        CHECK(h(body).error().kind == Kind::kMalformed);
    }
    SECTION("a leading-zero number") {
        std::string body = answer(header_json(1));
        body.replace(body.find("\"0x1\""), 5, "\"0x01\"");
        CHECK(h(body).error().kind == Kind::kMalformed);
    }
}

TEST_CASE("decode_headers matches batch answers by id", "[rpc][decode]") {
    simdjson::ondemand::parser parser;
    auto hs = [&](std::string body, size_t n) { return decode_headers(parser, body, n); };
    SECTION("out of order, with a null") {
        auto r = hs("[" + answer(header_json(12), 2) + "," + answer(header_json(10), 0) + "," +
                        answer("null", 1) + "]",
                    3);
        REQUIRE(r.ok());
        REQUIRE(r->size() == 3);
        CHECK(r->at(0)->block_num == 10);
        CHECK_FALSE(r->at(1).has_value());
        CHECK(r->at(2)->block_num == 12);
    }
    SECTION("a missing id") {
        auto r = hs("[" + answer(header_json(10), 0) + "," + answer(header_json(12), 2) + "]", 3);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
    SECTION("a duplicate id") {
        auto r = hs("[" + answer(header_json(10), 0) + "," + answer(header_json(10), 0) + "]", 2);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
    SECTION("an unknown id") {
        auto r = hs("[" + answer(header_json(10), 0) + "," + answer(header_json(11), 5) + "]", 2);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
    SECTION("a per-item error fails the whole call") {
        auto r = hs("[" + answer(header_json(10), 0) + "," +
                        error_answer(R"({"code":-32000,"message":"busy"})", "1") + "]",
                    2);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
        CHECK(r.error().message == "busy");
    }
    SECTION("a node refusing batches answers one error object") {
        auto r = hs(error_answer(R"({"code":-32600,"message":"batch too large"})", "null"), 2);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRpcError);
        CHECK(r.error().code == -32600);
    }
    SECTION("a single result instead of a batch") {
        auto r = hs(answer(header_json(10), 0), 1);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
    SECTION("a truncated batch") {
        std::string body = "[" + answer(header_json(10), 0) + "," + answer(header_json(11), 1);
        auto r = hs(body, 2);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kMalformed);
    }
}

TEST_CASE("decode_call_batch keeps per-call errors", "[rpc][decode]") {
    simdjson::ondemand::parser parser;
    std::string body = "[" + error_answer(R"({"code":3,"message":"execution reverted"})", "1") +
                       "," + answer(R"("0x2a")", 0) + "," +
                       error_answer(R"({"code":-32000,"message":"internal error"})", "2") + "]";
    auto r = decode_call_batch(parser, body, 3);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    REQUIRE(r->at(0).ok());
    CHECK(r->at(0).value() == std::vector<uint8_t>{0x2a});
    REQUIRE_FALSE(r->at(1).ok());
    CHECK(r->at(1).error().kind == Kind::kReverted);
    REQUIRE_FALSE(r->at(2).ok());
    CHECK(r->at(2).error().kind == Kind::kRpcError);

    std::string missing = "[" + answer(R"("0x")", 0) + "]";
    auto m = decode_call_batch(parser, missing, 2);
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().kind == Kind::kMalformed);
}

TEST_CASE("HTTP failures map to error kinds", "[rpc][decode]") {
    SECTION("Retry-After in seconds") {
        CHECK(parse_retry_after(" 5\r\n") == int64_t{5000});
        CHECK(parse_retry_after("0") == int64_t{0});
        CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
        CHECK_FALSE(parse_retry_after("-1"));
        CHECK_FALSE(parse_retry_after(""));
    }
    SECTION("statuses") {
        auto limited = make_http_error(429, 2000, "");
        CHECK(limited.kind == Kind::kRateLimited);
        CHECK(limited.retry_after_ms == int64_t{2000});
        CHECK(limited.http_status == 429);
        CHECK(make_http_error(413, std::nullopt, "").kind == Kind::kRangeTooLarge);
        auto bad = make_http_error(502, std::nullopt, "<html>bad gateway</html>");
        CHECK(bad.kind == Kind::kHttpStatus);
        CHECK(bad.http_status == 502);
        CHECK(bad.message.find("bad gateway") != std::string::npos);
    }
}

TEST_CASE("RpcError names its kind and prints its details", "[rpc]") {
    RpcError e;
    const std::pair<Kind, std::string_view> names[] = {
        {Kind::kTransport, "transport"},           {Kind::kTimeout, "timeout"},
        {Kind::kHttpStatus, "http_status"},        {Kind::kRateLimited, "rate_limited"},
        {Kind::kMalformed, "malformed"},           {Kind::kRpcError, "rpc_error"},
        {Kind::kRangeTooLarge, "range_too_large"}, {Kind::kReverted, "reverted"},
        {Kind::kUnavailable, "unavailable"},
    };
    for (auto& [kind, name] : names) {
        e.kind = kind;
        CHECK(e.kind_name() == name);
    }
    e.kind = Kind::kRangeTooLarge;
    e.code = -32005;
    e.message = "too many";
    e.suggested_to = 500;
    CHECK(e.to_string() == "range_too_large code=-32005 suggested_to=500: too many");
}

}  // namespace erc20::rpc
