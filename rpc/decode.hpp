#pragma once
// Internal to rpc/: decoding of JSON-RPC response bodies into rpc/types.hpp
// structs with simdjson On-Demand (no DOM), kept apart from the transport so
// that unit tests and fuzzers can feed canned bodies without a network.
//
// Every decoder takes the body as a `std::string&` and grows its capacity to
// size + simdjson::SIMDJSON_PADDING (contents unchanged), then parses it in
// place with `parser`. The parser is reused across calls; nothing returned
// points into it or into the body.
//
// Errors: anything that is not the expected shape (truncated or invalid JSON,
// wrong types, non-canonical QUANTITY, wrong-length DATA, missing or
// mismatched id) is RpcError::Kind::kMalformed. A JSON-RPC error object is
// classified by make_rpc_error() (rpc/errors.hpp).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "rpc/errors.hpp"
#include "rpc/types.hpp"

namespace erc20::rpc {

/// The id of every single (non-batch) request. Batch requests use 0..n-1.
inline constexpr int64_t kSingleId = 1;

/// eth_chainId / eth_blockNumber: a QUANTITY result.
[[nodiscard]] Result<uint64_t> decode_quantity(simdjson::ondemand::parser& parser,
                                               std::string& body);

/// eth_getBlockByNumber: a header, or nullopt for a null result.
[[nodiscard]] Result<std::optional<BlockHeader>> decode_header(simdjson::ondemand::parser& parser,
                                                               std::string& body);

/// A batch of `count` eth_getBlockByNumber answers with ids 0..count-1, in
/// any order; entry i answers id i. A per-item error fails the whole call
/// with that error; a top-level error object (a node refusing the batch)
/// likewise.
[[nodiscard]] Result<std::vector<std::optional<BlockHeader>>> decode_headers(
    simdjson::ondemand::parser& parser, std::string& body, size_t count);

/// eth_getLogs: the logs in the order of the answer.
[[nodiscard]] Result<std::vector<Log>> decode_logs(simdjson::ondemand::parser& parser,
                                                   std::string& body);

/// eth_call: the raw return data ("0x" is an empty vector).
[[nodiscard]] Result<std::vector<uint8_t>> decode_call(simdjson::ondemand::parser& parser,
                                                       std::string& body);

/// A batch of `count` eth_call answers with ids 0..count-1, in any order;
/// entry i answers id i, each with its own error (kReverted, kRpcError...).
/// The whole call fails only on a malformed answer or a top-level error.
[[nodiscard]] Result<std::vector<Result<std::vector<uint8_t>>>> decode_call_batch(
    simdjson::ondemand::parser& parser, std::string& body, size_t count);

}  // namespace erc20::rpc
