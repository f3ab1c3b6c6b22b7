#pragma once
// Token metadata (name, symbol, decimals, totalSupply) by eth_call, on its own
// thread and RPC connection so that a slow or broken token never stalls
// ingestion. A call that reverts or returns garbage gives null; a call that
// fails in transport is retried on a later round.
//
// totalSupply is read at the indexed block by hash (EIP-1898), so a reading
// names the block it belongs to and a reorg cannot move it to another one.
// When the node no longer has that block's state (a pruned node during a
// backfill) it is read at the node's latest block, by hash, and marked as a
// fallback. Store::put_token_meta refuses readings a reorg made stale; the
// worker reads those tokens again, and those of every reading above a
// rollback's target.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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
    /// Starts the thread, which first queues every token whose metadata is
    /// missing or whose supply reading is not current on the indexed chain
    /// (older than the token's last transfer, of unknown block, or dropped by
    /// a reorg while the daemon was down). Reads every token_stats row once.
    MetadataWorker(rpc::ClientOptions rpc, storage::Store& store);
    ~MetadataWorker();  // stops and joins
    MetadataWorker(const MetadataWorker&) = delete;
    MetadataWorker& operator=(const MetadataWorker&) = delete;

    /// Tokens seen for the first time: fetch everything.
    void add_new(const std::vector<Address>& tokens);
    /// Tokens whose supply may have moved: read totalSupply at the indexed block.
    void add_touched(const std::vector<Address>& tokens);
    /// The blocks after `to` were undone (every block when nullopt); `touched`
    /// lost transfers. Every reading above `to` is read again.
    void rolled_back(std::optional<BlockNum> to, const std::vector<Address>& touched);

  private:
    /// Where one token's calls ran.
    struct At {
        BlockNum num{0};
        Hash hash;
        bool fallback{false};
    };
    using Answers = std::vector<rpc::Result<std::vector<uint8_t>>>;

    void loop(const std::stop_token& stop);
    void scan();
    bool forget_readings_above(BlockNum to);
    void fetch(const std::vector<Address>& tokens, bool full);
    std::optional<std::vector<At>> call_all(const std::vector<Address>& tokens, bool full,
                                            Answers& answers);
    bool call_at(const std::vector<Address>& tokens, const std::vector<size_t>& which, bool full,
                 const rpc::BlockId& at, Answers& answers);
    void store(const Address& token, bool full, const At& at, const Answers& answers, size_t first);
    void retry_later(const Address& token, bool full);

    rpc::Client client_;
    storage::Store& store_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::set<Address> new_;
    std::set<Address> touched_;
    bool scan_{true};                      // queue from the database (start, deep rollback)
    std::optional<BlockNum> rolled_back_;  // lowest rollback target not yet handled (kNone: all)
    std::set<Address> retry_new_;          // failed; back into new_ on the next retry round
    std::set<Address> retry_touched_;
    std::chrono::steady_clock::time_point last_retry_{};
    /// No call before this: a node that answered Retry-After is not asked again earlier.
    std::chrono::steady_clock::time_point not_before_{};
    static constexpr int kMaxAttempts =
        20;                            // rounds 3 s apart before a failing call counts as null
    std::map<Address, int> attempts_;  // failed rounds per token (worker thread only)
    /// Readings written at recent blocks, so a rollback finds the tokens it
    /// made stale without reading every token (worker thread only). It holds
    /// every reading at or above covered_from_.
    static constexpr BlockNum kRecentBlocks = 1024;
    std::map<BlockNum, std::vector<Address>> recent_;
    BlockNum covered_from_{0};  // set by scan(), which runs first
    std::jthread thread_;
};

}  // namespace erc20::indexer
