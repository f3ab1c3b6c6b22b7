// Fuzz target: JSON-RPC batch answers, eth_getBlockByNumber batches
// (rpc::decode_headers) and eth_call batches (rpc::decode_call_batch).
// Input: one byte (bit 0: headers or calls; bits 1-3: the batch size 0..7),
// then the body.
// Invariants: the body is left unchanged; a failure is malformed or an error
// object; an accepted batch has exactly `count` entries, and encoded again
// canonically, in reverse id order, decodes to the same entries.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "fuzz/encode.hpp"
#include "rpc/decode.hpp"

using namespace erc20;

namespace {

simdjson::ondemand::parser parser;

void headers(const std::string& input, size_t count) {
    std::string body = input;
    auto batch = rpc::decode_headers(parser, body, count);
    FUZZ_CHECK(body == input);
    if (!batch) {
        FUZZ_CHECK(fuzz::answer_kind(batch.error().kind, false, false));
        return;
    }
    FUZZ_CHECK(batch->size() == count);
    std::string again = "[";
    for (size_t i = count; i-- > 0;) {
        const auto& h = (*batch)[i];
        if (again.size() > 1) again += ',';
        again += fuzz::envelope(static_cast<int64_t>(i), h ? fuzz::header_json(*h) : "null");
    }
    again += ']';
    auto decoded = rpc::decode_headers(parser, again, count);
    FUZZ_CHECK(decoded.ok());
    for (size_t i = 0; i < count; ++i) {
        FUZZ_CHECK((*decoded)[i].has_value() == (*batch)[i].has_value());
        if ((*batch)[i]) FUZZ_CHECK(fuzz::same_header(*(*batch)[i], *(*decoded)[i]));
    }
}

void calls(const std::string& input, size_t count) {
    std::string body = input;
    auto batch = rpc::decode_call_batch(parser, body, count);
    FUZZ_CHECK(body == input);
    if (!batch) {
        FUZZ_CHECK(fuzz::answer_kind(batch.error().kind, false, true));
        return;
    }
    FUZZ_CHECK(batch->size() == count);
    std::string again = "[";
    for (size_t i = count; i-- > 0;) {
        const auto& r = (*batch)[i];
        if (again.size() > 1) again += ',';
        if (r.ok()) {
            again += fuzz::envelope(static_cast<int64_t>(i), fuzz::quoted(to_hex(r.value())));
        } else {
            FUZZ_CHECK(fuzz::answer_kind(r.error().kind, false, true));
            FUZZ_CHECK(r.error().kind != rpc::RpcError::Kind::kMalformed);
            again += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
                     R"(,"error":{"code":3,"message":"execution reverted"}})";
        }
    }
    again += ']';
    auto decoded = rpc::decode_call_batch(parser, again, count);
    FUZZ_CHECK(decoded.ok());
    for (size_t i = 0; i < count; ++i) {
        FUZZ_CHECK((*decoded)[i].ok() == (*batch)[i].ok());
        if ((*batch)[i].ok()) FUZZ_CHECK((*decoded)[i].value() == (*batch)[i].value());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t count = (data[0] >> 1) & 7;
    const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        calls(input, count);
    } else {
        headers(input, count);
    }
    return 0;
}
