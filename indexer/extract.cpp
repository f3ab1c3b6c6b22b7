#include "indexer/extract.hpp"

#include <algorithm>

#include "common/hex.hpp"

namespace erc20::indexer {
namespace {

// A topic holds an address when its upper 12 bytes are zero.
std::optional<Address> topic_address(const Hash& topic) noexcept {
    if (!std::all_of(topic.bytes.begin(), topic.bytes.begin() + 12,
                     [](uint8_t b) { return b == 0; })) {
        return std::nullopt;
    }
    Address a;
    std::copy(topic.bytes.begin() + 12, topic.bytes.end(), a.bytes.begin());
    return a;
}

}  // namespace

std::optional<storage::Transfer> extract_transfer(const rpc::Log& log) noexcept {
    if (log.topic_count != 3 || log.data_size != 32 || log.topics[0] != kTransferTopic)
        return std::nullopt;
    auto from = topic_address(log.topics[1]);
    auto to = topic_address(log.topics[2]);
    if (!from || !to) return std::nullopt;
    storage::Transfer t;
    t.block_num = log.block_num;
    t.log_index = log.log_index;
    t.txn_hash = log.txn_hash;
    t.token = log.address;
    t.from = *from;
    t.to = *to;
    t.value = u256_from_be(log.data_word);
    return t;
}

}  // namespace erc20::indexer
