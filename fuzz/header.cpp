// Fuzz target: eth_getBlockByNumber answers (rpc::decode_header).
// Invariants: the body is left unchanged; a failure is malformed or an error
// object; an accepted header, encoded again canonically, decodes the same.

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
    auto header = rpc::decode_header(parser, body);
    FUZZ_CHECK(body == input);
    if (!header) {
        FUZZ_CHECK(fuzz::answer_kind(header.error().kind, false, false));
        return 0;
    }
    std::string again =
        fuzz::envelope(rpc::kSingleId, header.value() ? fuzz::header_json(**header) : "null");
    auto decoded = rpc::decode_header(parser, again);
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(decoded->has_value() == header->has_value());
    if (header.value()) FUZZ_CHECK(fuzz::same_header(**header, **decoded));
    return 0;
}
