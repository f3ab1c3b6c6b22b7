// Fuzz target: single JSON-RPC answers and error objects: eth_chainId /
// eth_blockNumber (rpc::decode_quantity), eth_call (rpc::decode_call), the
// classification of error objects (rpc::make_rpc_error through the decoders,
// find_suggested_to), Retry-After values and non-200 HTTP answers.
// Input: one byte (which decoder), then the body.
// Invariants: an error's kind is one the method can have (a range error only
// for eth_getLogs, a revert only for eth_call); accepted values round-trip;
// a Retry-After is whole seconds up to a day; an HTTP error message quotes at
// most 200 bytes of the body.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "fuzz/encode.hpp"
#include "rpc/decode.hpp"

using namespace erc20;

namespace {

simdjson::ondemand::parser parser;

void quantity(const std::string& input) {
    std::string body = input;
    auto q = rpc::decode_quantity(parser, body);
    FUZZ_CHECK(body == input);
    if (!q) {
        FUZZ_CHECK(fuzz::answer_kind(q.error().kind, false, false));
        return;
    }
    std::string again = fuzz::envelope(rpc::kSingleId, fuzz::quoted(to_quantity(q.value())));
    auto decoded = rpc::decode_quantity(parser, again);
    FUZZ_CHECK(decoded.ok() && decoded.value() == q.value());
}

void call(const std::string& input) {
    std::string body = input;
    auto ret = rpc::decode_call(parser, body);
    FUZZ_CHECK(body == input);
    if (!ret) {
        FUZZ_CHECK(fuzz::answer_kind(ret.error().kind, false, true));
        return;
    }
    std::string again = fuzz::envelope(rpc::kSingleId, fuzz::quoted(to_hex(ret.value())));
    auto decoded = rpc::decode_call(parser, again);
    FUZZ_CHECK(decoded.ok() && decoded.value() == ret.value());
}

void text(const std::string& input) {
    (void)rpc::find_suggested_to(input);
    if (auto ms = rpc::parse_retry_after(input)) {
        FUZZ_CHECK(*ms >= 0 && *ms <= 86'400'000 && *ms % 1000 == 0);
    }
    const long status = input.empty() ? 500 : static_cast<unsigned char>(input[0]) * 3;
    auto e = rpc::make_http_error(status, std::nullopt, input);
    FUZZ_CHECK(e.message.size() <= 5 + 3 + 2 + 200 + 3);
    using K = rpc::RpcError::Kind;
    FUZZ_CHECK(e.kind == (status == 429   ? K::kRateLimited
                          : status == 413 ? K::kRangeTooLarge
                                          : K::kHttpStatus));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0:
            quantity(input);
            break;
        case 1:
            call(input);
            break;
        default:
            text(input);
            break;
    }
    return 0;
}
