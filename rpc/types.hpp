#pragma once
// Plain structs decoded from the node's JSON-RPC answers. Nothing past rpc/
// sees JSON: the indexer consumes these.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/block.hpp"
#include "common/types.hpp"

namespace erc20::rpc {

/// A block header as the node gives it: the common header (what storage
/// keeps, so it converts by slicing) and the logs bloom, which only the
/// fetch checks read.
struct BlockHeader : erc20::BlockHeader {
    std::array<uint8_t, 256> logs_bloom{};
};

/// One log from eth_getLogs, decoded without heap allocation. Only the first
/// 32 bytes of `data` are kept; `data_size` is the real length, so callers can
/// tell a 32-byte ERC20 amount from any other shape.
struct Log {
    BlockNum block_num{0};
    uint32_t log_index{0};
    uint32_t txn_index{0};
    Hash block_hash;
    Hash txn_hash;
    Address address;
    uint8_t topic_count{0};        // real number of topics (may exceed 4 only in broken answers)
    std::array<Hash, 4> topics{};  // first min(topic_count, 4) are set
    uint32_t data_size{0};
    std::array<uint8_t, 32> data_word{};  // first 32 bytes of data, zero-padded
    bool removed{false};
};

/// Why an RPC call failed. The retry policy switches on `kind`.
struct RpcError {
    enum class Kind {
        kTransport,      // connect refused/reset, DNS, TLS: curl error
        kTimeout,        // no complete answer within the timeout
        kHttpStatus,     // HTTP status other than 200 (see http_status)
        kRateLimited,    // HTTP 429 (see retry_after_ms)
        kMalformed,      // truncated or malformed JSON, wrong shape, missing id
        kRpcError,       // a JSON-RPC error object (see code, message)
        kRangeTooLarge,  // eth_getLogs range/result-size rejection (see suggested_to)
        kReverted,       // eth_call reverted (execution error)
        kUnavailable,    // eth_call: the node lacks that block or its state (pruned, unknown hash)
    };
    Kind kind{Kind::kTransport};
    int http_status{0};
    int64_t code{0};
    std::string message;
    std::optional<int64_t> retry_after_ms;
    std::optional<BlockNum> suggested_to;  // last block of a range the node suggests

    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] const char* kind_name() const noexcept;
};

/// A value or an RpcError.
template <class T>
class Result {
  public:
    Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    Result(RpcError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T& operator*() & { return value(); }
    T* operator->() { return &value(); }
    [[nodiscard]] const RpcError& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, RpcError> v_;
};

}  // namespace erc20::rpc
