#pragma once
// Token metadata (name, symbol, decimals, totalSupply) by eth_call, on its own
// thread and RPC connection so that a slow or broken token never stalls
// ingestion. A call that reverts or returns garbage gives null; a call that
// fails in transport is retried on a later round.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/types.hpp"
#include "rpc/client.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

class MetadataWorker {
  public:
    MetadataWorker(rpc::ClientOptions rpc, storage::Store& store);
    ~MetadataWorker();  // stops and joins
    MetadataWorker(const MetadataWorker&) = delete;
    MetadataWorker& operator=(const MetadataWorker&) = delete;

    /// Tokens seen for the first time: fetch everything.
    void add_new(const std::vector<Address>& tokens);
    /// Tokens whose supply may have moved: refresh totalSupply.
    void add_touched(const std::vector<Address>& tokens, BlockNum head);

  private:
    void loop(std::stop_token stop);
    void fetch(const std::vector<Address>& tokens, bool full, BlockNum head);

    rpc::Client client_;
    storage::Store& store_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::set<Address> new_;
    std::set<Address> touched_;
    BlockNum head_{0};
    std::set<Address> retry_new_;      // failed; back into new_ on the next retry round
    std::set<Address> retry_touched_;
    std::chrono::steady_clock::time_point last_retry_{};
    static constexpr int kMaxAttempts = 20;  // rounds 3 s apart before a failing call counts as null
    std::map<Address, int> attempts_;  // failed rounds per token (worker thread only)
    std::jthread thread_;
};

}  // namespace erc20::indexer
