#pragma once
// What the rpc tests share: canned JSON-RPC answers (logs, headers, errors)
// and one-line decoders that throw away the parser. Test code only.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/hex.hpp"
#include "rpc/decode.hpp"

namespace erc20::rpc::testing {

using Kind = RpcError::Kind;

inline const std::string kToken = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
inline const std::string kTransfer =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
inline const std::string kFrom = "0x000000000000000000000000" + std::string(40, '1');
inline const std::string kTo = "0x000000000000000000000000" + std::string(40, '2');
inline const std::string kBlockHash = "0x" + std::string(64, 'b');
inline const std::string kTxnHash = "0x" + std::string(64, 'c');
inline const std::string kAmount = "0x" + std::string(62, '0') + "2a";

inline std::string quote(const std::string& s) { return "\"" + s + "\""; }

// One log object; `fields` replaces or adds members, "-name" removes one.
inline std::string log_json(const std::vector<std::pair<std::string, std::string>>& fields = {}) {
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

inline std::string answer(const std::string& result, int64_t id = kSingleId) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result + "}";
}

inline std::string error_answer(const std::string& error, const std::string& id = "1") {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"error":)" + error + "}";
}

inline std::string header_json(BlockNum block_num,
                               const std::string& bloom = "0x" + std::string(512, '0')) {
    return R"({"number":")" + to_quantity(block_num) + R"(","hash":"0x)" + std::string(63, 'a') +
           std::to_string(block_num % 10) + R"(","parentHash":")" + kBlockHash +
           R"(","timestamp":"0x65000000","logsBloom":")" + bloom +
           R"(","transactions":[],"miner":"0x0000000000000000000000000000000000000000"})";
}

inline Result<std::vector<Log>> logs_of(std::string body) {
    simdjson::ondemand::parser parser;
    return decode_logs(parser, body);
}

inline Result<std::vector<uint8_t>> call_of(std::string body) {
    simdjson::ondemand::parser parser;
    return decode_call(parser, body);
}

inline Kind kind_of_logs(std::string body) {
    auto r = logs_of(std::move(body));
    REQUIRE_FALSE(r.ok());
    return r.error().kind;
}

}  // namespace erc20::rpc::testing
