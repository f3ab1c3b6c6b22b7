// Fuzz target: eth_getLogs answers (rpc::decode_logs).
// Invariants: the body is left unchanged; a failure is malformed or an error
// object of a getLogs kind; accepted logs, encoded again canonically, decode
// to the same logs.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "fuzz/encode.hpp"
#include "rpc/decode.hpp"

using namespace erc20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static simdjson::ondemand::parser parser;
    const std::string input(reinterpret_cast<const char*>(data), size);
    std::string body = input;
    auto logs = rpc::decode_logs(parser, body);
    FUZZ_CHECK(body == input);
    if (!logs) {
        FUZZ_CHECK(fuzz::answer_kind(logs.error().kind, true, false));
        return 0;
    }
    std::string again = "[";
    for (const auto& log : logs.value()) {
        if (again.size() > 1) again += ',';
        again += fuzz::log_json(log);
    }
    again = fuzz::envelope(rpc::kSingleId, again + "]");
    auto decoded = rpc::decode_logs(parser, again);
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(decoded->size() == logs->size());
    for (size_t i = 0; i < logs->size(); ++i) FUZZ_CHECK(fuzz::same_log((*logs)[i], (*decoded)[i]));
    return 0;
}
