#pragma once
// JSON-RPC client of the Ethereum node: libcurl (one easy handle reused, so
// keep-alive connections are reused; compressed answers accepted; a timeout on
// every call) and simdjson On-Demand decoding straight into rpc/types.hpp
// structs. Not thread-safe: one Client per thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpc/types.hpp"

namespace erc20::rpc {

/// The block an eth_call runs at: the node's latest (default), a number, or
/// a hash (EIP-1898 {"blockHash": ...}: exactly that block, or an error when
/// the node does not have it, so a reorg cannot move the call to another one).
struct BlockId {
    std::variant<std::monostate, BlockNum, Hash> at;
    BlockId() = default;
    BlockId(std::nullopt_t) {}         // NOLINT(google-explicit-constructor): latest
    BlockId(BlockNum n) : at(n) {}     // NOLINT(google-explicit-constructor)
    BlockId(const Hash& h) : at(h) {}  // NOLINT(google-explicit-constructor)
};

struct ClientOptions {
    std::string url{"http://127.0.0.1:8545"};
    std::chrono::milliseconds timeout{30'000};  // whole call
    std::chrono::milliseconds connect_timeout{5'000};
    /// When set and true, calls in flight abort and new calls fail at once
    /// (kTransport, "cancelled"): a stop request need not wait for a timeout.
    const std::atomic<bool>* cancel{nullptr};
    /// Test seam: when set, it replaces libcurl. It gets each JSON-RPC request
    /// body (one call or a batch) and returns the answer body, decoded as an
    /// HTTP 200 answer would be, or the transport failure to report. Clients
    /// copied from these options share it: it must be thread-safe.
    /// Default: unset (HTTP POST to `url`).
    std::function<Result<std::string>(std::string_view request)> transport;
};

class Client {
  public:
    explicit Client(ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    Result<uint64_t> chain_id();
    Result<BlockNum> block_number();

    /// eth_getBlockByNumber(block_num, false). nullopt when the node answers null
    /// (a block it does not have yet).
    Result<std::optional<BlockHeader>> header(BlockNum block_num);

    /// eth_getBlockByNumber(tag, false) for "latest", "safe", "finalized".
    /// nullopt when the node answers null or does not know the tag.
    Result<std::optional<BlockHeader>> header(std::string_view tag);

    /// Headers [from, to] in one JSON-RPC batch request, in block order;
    /// entry i is nullopt where the node answered null. Answers are matched by
    /// id, whatever their order; a missing id is kMalformed.
    Result<std::vector<std::optional<BlockHeader>>> headers(BlockNum from, BlockNum to);

    /// eth_getLogs over [from, to] with topics[0] == topic0 and, when
    /// `addresses` is not empty, address in `addresses`.
    Result<std::vector<Log>> logs(BlockNum from, BlockNum to, const Hash& topic0,
                                  std::span<const Address> addresses);

    /// eth_call {to, data} at `block`. Returns the raw return data. A revert
    /// is kReverted; a block or state the node does not have (pruned, or a
    /// hash it does not know) is kUnavailable.
    Result<std::vector<uint8_t>> call(const Address& to, std::span<const uint8_t> data,
                                      const BlockId& block);

    /// Several eth_call in one batch request; per-call results in order.
    Result<std::vector<Result<std::vector<uint8_t>>>> call_batch(
        std::span<const std::pair<Address, std::vector<uint8_t>>> calls, const BlockId& block);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace erc20::rpc
