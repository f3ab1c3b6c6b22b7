#pragma once
// Canonical JSON-RPC answers for the round trips of the rpc/ fuzz targets:
// what a decoder accepted, encoded again the way a node would, must decode to
// the same structs.

#include <cstdint>
#include <string>
#include <vector>

#include "common/hex.hpp"
#include "rpc/types.hpp"

namespace erc20::fuzz {

inline std::string envelope(int64_t id, const std::string& result) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result + "}";
}

inline std::string quoted(const std::string& s) { return '"' + s + '"'; }

inline std::string log_json(const rpc::Log& log) {
    std::string out = R"({"address":)" + quoted(to_hex(log.address)) + R"(,"topics":[)";
    for (size_t i = 0; i < log.topic_count; ++i) {
        if (i) out += ',';
        out += quoted(to_hex(i < log.topics.size() ? log.topics[i] : Hash{}));
    }
    // Only the first 32 bytes are kept: the rest is encoded as zeros.
    std::vector<uint8_t> data(log.data_size, 0);
    for (size_t i = 0; i < data.size() && i < log.data_word.size(); ++i) data[i] = log.data_word[i];
    out += R"(],"data":)" + quoted(to_hex(data));
    out += R"(,"blockNumber":)" + quoted(to_quantity(log.block_num));
    out += R"(,"transactionHash":)" + quoted(to_hex(log.txn_hash));
    out += R"(,"transactionIndex":)" + quoted(to_quantity(log.txn_index));
    out += R"(,"blockHash":)" + quoted(to_hex(log.block_hash));
    out += R"(,"logIndex":)" + quoted(to_quantity(log.log_index));
    out += std::string(R"(,"removed":)") + (log.removed ? "true" : "false") + "}";
    return out;
}

inline std::string header_json(const rpc::BlockHeader& h) {
    return R"({"number":)" + quoted(to_quantity(h.block_num)) + R"(,"hash":)" +
           quoted(to_hex(h.hash)) + R"(,"parentHash":)" + quoted(to_hex(h.parent_hash)) +
           R"(,"timestamp":)" + quoted(to_quantity(h.timestamp)) + R"(,"logsBloom":)" +
           quoted(to_hex(h.logs_bloom)) + "}";
}

inline bool same_log(const rpc::Log& a, const rpc::Log& b) {
    const size_t topics = std::min<size_t>(a.topic_count, a.topics.size());
    for (size_t i = 0; i < topics; ++i) {
        if (a.topics[i] != b.topics[i]) return false;
    }
    return a.block_num == b.block_num && a.log_index == b.log_index && a.txn_index == b.txn_index &&
           a.block_hash == b.block_hash && a.txn_hash == b.txn_hash && a.address == b.address &&
           a.topic_count == b.topic_count && a.data_size == b.data_size &&
           a.data_word == b.data_word && a.removed == b.removed;
}

inline bool same_header(const rpc::BlockHeader& a, const rpc::BlockHeader& b) {
    return a.block_num == b.block_num && a.hash == b.hash && a.parent_hash == b.parent_hash &&
           a.timestamp == b.timestamp && a.logs_bloom == b.logs_bloom;
}

/// The kinds an error object can have for a call of `method`.
inline bool answer_kind(rpc::RpcError::Kind k, bool get_logs, bool call) {
    using K = rpc::RpcError::Kind;
    if (k == K::kMalformed || k == K::kRpcError || k == K::kRateLimited) return true;
    // eth_call also says when the node lacks the block or its state (an
    // EIP-1898 read by hash of a pruned or unknown block): kUnavailable.
    return (get_logs && k == K::kRangeTooLarge) ||
           (call && (k == K::kReverted || k == K::kUnavailable));
}

}  // namespace erc20::fuzz
