#pragma once
// Token metadata (name, symbol, decimals, totalSupply) by eth_call, on
// threads and RPC connections of their own so that a slow or broken token
// never stalls ingestion. The work is the database's metadata queue
// (token_queue, storage/token_rows.hpp), which every apply and rollback adds
// to in its own write: new tokens (every call) and tokens whose supply may
// have moved (totalSupply). A few connections (MetadataOptions) each take a
// page of due tasks and make their calls in one batch request; the write of
// a token's metadata ends its task. Memory holds only the tasks in flight
// and the recent readings (both bounded); a restart resumes the queue.
//
// A call that reverts or returns garbage gives null. A call that fails for
// one token (an error of the node for that call) is asked again on a
// doubling schedule and taken as null after max_attempts rounds; a batch
// that fails as a whole (the node is down, a timeout) counts against no
// token: the connection waits (and a timeout halves the tokens per request).
//
// totalSupply is read at the indexed block by hash (EIP-1898), so a reading
// names the block it belongs to and a reorg cannot move it to another one.
// When the node no longer has that block's state (a pruned node during a
// backfill) it is read at the node's latest block, by hash, and marked as a
// fallback. Store::put_token_meta refuses readings a reorg made stale; the
// worker reads again the tokens of every reading above a rollback's target.

#include <atomic>
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

struct MetadataOptions {
    unsigned connections{4};         // batch requests in flight at once, one per connection
    size_t tokens_per_request{100};  // at most, in one batch request (4 calls for a new token)
    /// The wait after a token's first failed round; it doubles with each one.
    std::chrono::milliseconds first_retry{3000};
    unsigned max_attempts{8};  // failed rounds before a call counts as null (3 s .. 6.4 min)
    std::chrono::milliseconds max_backoff{30'000};  // longest wait after a failed batch
};

class MetadataWorker {
  public:
    /// Starts the threads. A database whose queue was never filled (built
    /// by an older version) is scanned once: every token whose metadata is
    /// missing or whose supply reading is not current is queued.
    MetadataWorker(const rpc::ClientOptions& rpc, storage::Store& store,
                   MetadataOptions options = {});
    ~MetadataWorker();  // stops and joins
    MetadataWorker(const MetadataWorker&) = delete;
    MetadataWorker& operator=(const MetadataWorker&) = delete;

    /// A write queued tasks: idle connections look at the queue again.
    void wake();
    /// The blocks after `to` were undone (every block when nullopt); the
    /// rollback queued the tokens that lost transfers. Every reading above
    /// `to` is read again.
    void rolled_back(std::optional<BlockNum> to);

  private:
    /// Where one token's calls ran.
    struct At {
        BlockNum num{0};
        Hash hash;
        bool fallback{false};
    };
    using Answers = std::vector<rpc::Result<std::vector<uint8_t>>>;
    using Tasks = std::vector<storage::MetadataTask>;

    void housekeeping(const std::stop_token& stop);
    void scan(bool fill);
    bool forget_readings_above(BlockNum to);
    void remember(BlockNum block, const Address& token);
    void connection(const std::stop_token& stop, rpc::Client& client);
    Tasks claim();
    void release(const Tasks& tasks);
    std::optional<size_t> fetch(rpc::Client& client, const Tasks& tasks, bool full);
    std::optional<std::vector<At>> call_all(rpc::Client& client, const Tasks& tasks, bool full,
                                            Answers& answers);
    bool call_at(rpc::Client& client, const Tasks& tasks, const std::vector<size_t>& which,
                 bool full, const rpc::BlockId& at, Answers& answers);
    void store(const storage::MetadataTask& task, bool full, const At& at, const Answers& answers,
               size_t first);
    void retry_later(const storage::MetadataTask& task);
    void pause(int64_t ms);
    [[nodiscard]] std::chrono::milliseconds paused_for() const;

    storage::Store& store_;
    const MetadataOptions options_;
    std::vector<std::unique_ptr<rpc::Client>> clients_;

    std::mutex mutex_;
    std::condition_variable_any wake_;  // connections: tasks may be due
    bool woken_{false};
    std::condition_variable_any housekeeping_wake_;
    std::optional<BlockNum> rolled_back_;  // lowest rollback target not yet handled (kAll: all)
    /// Where the next claim reads the queue (nullopt: from its start).
    std::optional<storage::MetadataTask> position_;
    /// The tasks claimed and not yet done: at most connections x tokens_per_request.
    std::set<std::pair<bool, Address>> in_flight_;
    std::atomic<size_t> per_request_;          // tokens per request now: halved by timeouts
    std::atomic<int64_t> paused_until_ms_{0};  // steady clock: the end of the node's Retry-After

    /// Readings written at recent blocks, so a rollback finds the tokens it
    /// made stale without reading every token. It holds every reading at or
    /// above covered_from_, kMaxRecent at most (a deeper rollback scans).
    /// Held across each metadata write and its entry here.
    std::mutex recent_mutex_;
    static constexpr BlockNum kRecentBlocks = 1024;
    static constexpr size_t kMaxRecent = 65'536;
    std::map<BlockNum, std::vector<Address>> recent_;
    size_t recent_count_{0};
    BlockNum covered_from_{~BlockNum{0}};  // nothing, until the first reading or scan

    std::vector<std::jthread> threads_;
};

}  // namespace erc20::indexer
