#pragma once
// The node as the indexer sees it: the few JSON-RPC calls the pipeline, the
// reorg handling and the retry loop make. RpcNode is the production one over
// rpc::Client; tests put a fake chain behind rpc::ClientOptions::transport
// (indexer/testing/fake_chain.hpp) or wrap a Node to inject failures.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/types.hpp"
#include "rpc/client.hpp"
#include "rpc/types.hpp"

namespace erc20::indexer {

class Node {
  public:
    virtual ~Node() = default;
    virtual rpc::Result<uint64_t> chain_id() = 0;
    virtual rpc::Result<BlockNum> block_number() = 0;
    /// nullopt: the node answered null (it does not have that block yet).
    virtual rpc::Result<std::optional<rpc::BlockHeader>> header(BlockNum block_num) = 0;
    /// "latest", "safe", "finalized"; nullopt when the node does not know the tag.
    virtual rpc::Result<std::optional<rpc::BlockHeader>> header(std::string_view tag) = 0;
    /// Headers [from, to] in block order; nullopt where the node answered null.
    virtual rpc::Result<std::vector<std::optional<rpc::BlockHeader>>> headers(BlockNum from,
                                                                              BlockNum to) = 0;
    /// eth_getLogs over [from, to], topics[0] == topic0, any of `addresses` (all when empty).
    virtual rpc::Result<std::vector<rpc::Log>> logs(BlockNum from, BlockNum to, const Hash& topic0,
                                                    std::span<const Address> addresses) = 0;
};

/// A Node over one rpc::Client (one connection; not thread-safe, as the client).
class RpcNode final : public Node {
  public:
    explicit RpcNode(rpc::ClientOptions options) : client_(std::move(options)) {}
    rpc::Client& client() { return client_; }

    rpc::Result<uint64_t> chain_id() override { return client_.chain_id(); }
    rpc::Result<BlockNum> block_number() override { return client_.block_number(); }
    rpc::Result<std::optional<rpc::BlockHeader>> header(BlockNum block_num) override {
        return client_.header(block_num);
    }
    rpc::Result<std::optional<rpc::BlockHeader>> header(std::string_view tag) override {
        return client_.header(tag);
    }
    rpc::Result<std::vector<std::optional<rpc::BlockHeader>>> headers(BlockNum from,
                                                                      BlockNum to) override {
        return client_.headers(from, to);
    }
    rpc::Result<std::vector<rpc::Log>> logs(BlockNum from, BlockNum to, const Hash& topic0,
                                            std::span<const Address> addresses) override {
        return client_.logs(from, to, topic0, addresses);
    }

  private:
    rpc::Client client_;
};

}  // namespace erc20::indexer
