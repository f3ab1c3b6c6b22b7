#include "rpc/client.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "common/hex.hpp"
#include "common/strings.hpp"
#include "rpc/decode.hpp"

namespace erc20::rpc {
namespace {

using Kind = RpcError::Kind;

const std::string kToken = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const std::string kTransfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
const std::string kFrom = "0x000000000000000000000000" + std::string(40, '1');
const std::string kTo = "0x000000000000000000000000" + std::string(40, '2');
const std::string kBlockHash = "0x" + std::string(64, 'b');
const std::string kTxnHash = "0x" + std::string(64, 'c');
const std::string kAmount = "0x" + std::string(62, '0') + "2a";

std::string quote(const std::string& s) { return "\"" + s + "\""; }

// One log object; `fields` replaces or adds members, "-name" removes one.
std::string log_json(const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    std::vector<std::pair<std::string, std::string>> members = {
        {"address", quote(kToken)},
        {"topics", "[" + quote(kTransfer) + "," + quote(kFrom) + "," + quote(kTo) + "]"},
        {"data", quote(kAmount)},
        {"blockNumber", R"("0x1234")"},
        {"blockHash", quote(kBlockHash)},
        {"transactionHash", quote(kTxnHash)},
        {"transactionIndex", R"("0x5")"},
        {"logIndex", R"("0x1a")"},
        {"removed", "false"},
    };
    for (const auto& field : fields) {
        const std::string& name = field.first;
        if (name[0] == '-') {
            std::erase_if(members, [&](auto& m) { return m.first == name.substr(1); });
            continue;
        }
        auto it =
            std::find_if(members.begin(), members.end(), [&](auto& m) { return m.first == name; });
        if (it != members.end()) {
            it->second = field.second;
        } else {
            members.push_back(field);
        }
    }
    std::string out = "{";
    for (auto& [name, value] : members) {
        if (out.size() > 1) out += ",";
        out += quote(name) + ":" + value;
    }
    return out + "}";
}

std::string answer(const std::string& result, int64_t id = kSingleId) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result + "}";
}

std::string error_answer(const std::string& error, const std::string& id = "1") {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"error":)" + error + "}";
}

std::string header_json(BlockNum block_num,
                        const std::string& bloom = "0x" + std::string(512, '0')) {
    return R"({"number":")" + to_quantity(block_num) + R"(","hash":"0x)" + std::string(63, 'a') +
           std::to_string(block_num % 10) + R"(","parentHash":")" + kBlockHash +
           R"(","timestamp":"0x65000000","logsBloom":")" + bloom +
           R"(","transactions":[],"miner":"0x0000000000000000000000000000000000000000"})";
}

Result<std::vector<Log>> logs_of(std::string body) {
    simdjson::ondemand::parser parser;
    return decode_logs(parser, body);
}

Result<std::vector<uint8_t>> call_of(std::string body) {
    simdjson::ondemand::parser parser;
    return decode_call(parser, body);
}

Kind kind_of_logs(std::string body) {
    auto r = logs_of(std::move(body));
    REQUIRE_FALSE(r.ok());
    return r.error().kind;
}

}  // namespace

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

// ---------------------------------------------------------------------------
// Client against a local HTTP/1.1 server with canned answers.

namespace {

struct Canned {
    int status{200};
    std::string body;
    std::string extra_headers;  // each line ending in \r\n
    int delay_ms{0};
};

class FakeNode {
  public:
    explicit FakeNode(std::deque<Canned> answers) : answers_(std::move(answers)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(listen_fd_ >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listen_fd_, 4) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeNode() {
        stop_ = true;
        thread_.join();
        ::close(listen_fd_);
    }
    FakeNode(const FakeNode&) = delete;
    FakeNode& operator=(const FakeNode&) = delete;

    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int connections() const { return connections_; }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    bool wait_readable(int fd) {
        while (!stop_) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) return true;
        }
        return false;
    }

    void serve() {
        while (wait_readable(listen_fd_)) {
            int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) continue;
            ++connections_;
            serve_connection(fd);
            ::close(fd);
        }
    }

    void serve_connection(int fd) {
        std::string in;
        while (true) {
            size_t head_end;
            while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
                if (!read_some(fd, in)) return;
            }
            const std::string head = to_lower(std::string_view(in).substr(0, head_end));
            const size_t cl = head.find("content-length:");
            const size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15));
            while (in.size() < head_end + 4 + length) {
                if (!read_some(fd, in)) return;
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(in.substr(head_end + 4, length));
            }
            in.erase(0, head_end + 4 + length);
            Canned c;
            {
                std::lock_guard lock(mutex_);
                if (answers_.empty()) return;
                c = answers_.front();
                answers_.pop_front();
            }
            if (c.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(c.delay_ms));
            std::string out = "HTTP/1.1 " + std::to_string(c.status) + " X\r\n" +
                              "Content-Type: application/json\r\nContent-Length: " +
                              std::to_string(c.body.size()) + "\r\n" + c.extra_headers + "\r\n" +
                              c.body;
            if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return;
        }
    }

    bool read_some(int fd, std::string& in) {
        if (!wait_readable(fd)) return false;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        in.append(buf, static_cast<size_t>(n));
        return true;
    }

    std::deque<Canned> answers_;
    std::vector<std::string> requests_;
    std::mutex mutex_;
    int listen_fd_{-1};
    uint16_t port_{0};
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("Client reuses one connection and sends well-formed requests", "[rpc][client]") {
    auto token = parse_address(kToken);
    auto topic = parse_hash(kTransfer);
    REQUIRE(token);
    REQUIRE(topic);
    FakeNode node({
        {200, answer(R"("0x1")"), "", 0},
        {200, answer("[" + log_json() + "]"), "", 0},
        {200, "[" + answer(header_json(11), 1) + "," + answer(header_json(10), 0) + "]", "", 0},
        {200, "[" + answer(R"("0x12")", 0) + "]", "", 0},
        {200, answer(R"("0x")"), "", 0},
        {200, answer(R"("0x")"), "", 0},
    });
    Client client({.url = node.url()});
    CHECK(client.chain_id().value() == 1);
    auto logs = client.logs(1, 2, *topic, std::span(&*token, 1));
    REQUIRE(logs.ok());
    CHECK(logs->size() == 1);
    auto headers = client.headers(10, 11);
    REQUIRE(headers.ok());
    CHECK(headers->at(1)->block_num == 11);
    std::vector<std::pair<Address, std::vector<uint8_t>>> calls{{*token, {0x31, 0x3c, 0xe5, 0x67}}};
    auto batch = client.call_batch(calls, BlockNum{5});
    REQUIRE(batch.ok());
    CHECK(batch->at(0).value() == std::vector<uint8_t>{0x12});
    CHECK(client.call(*token, {}, std::nullopt).value().empty());
    CHECK(client.call(*token, {}, *topic).value().empty());
    CHECK(node.connections() == 1);

    auto requests = node.requests();
    REQUIRE(requests.size() == 6);
    CHECK(requests[0] == R"({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]})");
    CHECK(
        requests[1] ==
        R"({"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x1","toBlock":"0x2","topics":[")" +
            kTransfer + R"("],"address":[")" + kToken + R"("]}]})");
    CHECK(
        requests[2] ==
        R"([{"jsonrpc":"2.0","id":0,"method":"eth_getBlockByNumber","params":["0xa",false]},{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0xb",false]}])");
    CHECK(requests[3] == R"([{"jsonrpc":"2.0","id":0,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x313ce567"},"0x5"]}])");
    CHECK(requests[4] == R"({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x"},"latest"]})");
    // EIP-1898: by hash, so the call runs at exactly that block.
    CHECK(requests[5] == R"({"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":")" +
                             kToken + R"(","data":"0x"},{"blockHash":")" + kTransfer + R"("}]})");
}

TEST_CASE("Client maps HTTP statuses, timeouts and refused connections", "[rpc][client]") {
    SECTION("429 with Retry-After") {
        FakeNode node({{429, "slow down", "Retry-After: 3\r\n", 0}});
        Client client({.url = node.url()});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRateLimited);
        CHECK(r.error().retry_after_ms == int64_t{3000});
    }
    SECTION("429 without Retry-After") {
        FakeNode node({{429, "", "", 0}});
        Client client({.url = node.url()});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kRateLimited);
        CHECK_FALSE(r.error().retry_after_ms);
    }
    SECTION("413 and 503") {
        FakeNode node({{413, "", "", 0}, {503, "", "", 0}});
        Client client({.url = node.url()});
        auto topic = parse_hash(kTransfer);
        CHECK(client.logs(1, 100, *topic, {}).error().kind == Kind::kRangeTooLarge);
        auto r = client.block_number();
        CHECK(r.error().kind == Kind::kHttpStatus);
        CHECK(r.error().http_status == 503);
    }
    SECTION("a suggestion that does not shrink the range is dropped") {
        FakeNode node(
            {{200, error_answer(R"({"code":-32005,"message":"try [0x1, 0x64]"})"), "", 0},
             {200, error_answer(R"({"code":-32005,"message":"try [0x1, 0x10]"})"), "", 0}});
        Client client({.url = node.url()});
        auto topic = parse_hash(kTransfer);
        auto r = client.logs(1, 100, *topic, {});
        CHECK(r.error().kind == Kind::kRangeTooLarge);
        CHECK_FALSE(r.error().suggested_to);
        r = client.logs(1, 100, *topic, {});
        CHECK(r.error().suggested_to == BlockNum{16});
    }
    SECTION("an unknown tag is nullopt") {
        FakeNode node(
            {{200, error_answer(R"({"code":-32000,"message":"safe block not found"})"), "", 0},
             {200, answer("null"), "", 0}});
        Client client({.url = node.url()});
        auto safe = client.header("safe");
        REQUIRE(safe.ok());
        CHECK_FALSE(safe.value().has_value());
        auto latest = client.header("latest");
        REQUIRE(latest.ok());
        CHECK_FALSE(latest.value().has_value());
    }
    SECTION("timeout") {
        FakeNode node({{200, answer(R"("0x1")"), "", 400}});
        Client client({.url = node.url(), .timeout = std::chrono::milliseconds(100)});
        auto r = client.block_number();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kTimeout);
    }
    SECTION("connection refused") {
        int port = 0;
        {
            FakeNode node({});
            port = std::stoi(node.url().substr(node.url().rfind(':') + 1));
        }
        Client client({.url = "http://127.0.0.1:" + std::to_string(port)});
        auto r = client.chain_id();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == Kind::kTransport);
    }
}

}  // namespace erc20::rpc
