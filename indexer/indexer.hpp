#pragma once
// The ingestion pipeline: fetch logs and headers from the node, extract ERC20
// transfers, apply them to the store block range by block range, and follow
// the head, undoing reorged blocks.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/progress.hpp"
#include "common/types.hpp"
#include "indexer/metadata.hpp"
#include "rpc/client.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

using Clock = std::chrono::steady_clock;

struct IndexerOptions {
    rpc::ClientOptions rpc;
    BlockNum start_block{0};
    uint64_t confirmations{0};
    std::chrono::milliseconds poll_interval{2000};
    uint64_t reorg_window{256};
    /// empty: every token. Extended by a finished add-tokens (the stored filter).
    std::vector<Address> tokens;
    uint64_t max_range{2000};   // most blocks per eth_getLogs request
    unsigned fetch_workers{4};  // ranges in flight during backfill
    /// Consecutive ranges are merged into one write of up to this many bytes
    /// (storage::kApplyBytesPerTransfer per transfer) during a backfill.
    size_t write_batch_bytes{storage::kDefaultWriteBatchBytes};
    std::chrono::milliseconds max_backoff{30'000};  // longest wait between retries
    MetadataOptions metadata;                       // the metadata connections
    /// Called from the ingestion loop at least once per poll and per retry, so
    /// a watchdog can tell a stuck loop from a waiting one.
    std::function<void()> heartbeat;
};

struct RewindResult {
    BlockNum from_block{0};            // the cursor before
    std::optional<BlockNum> to_block;  // the cursor after (nullopt: nothing applied)
    size_t transfers_undone{0};
    size_t tokens_removed{0};
    std::vector<Address> touched_tokens;  // remaining tokens whose supply may have moved
};

/// Undoes every block after `to_block` (every block when nullopt) in one
/// write. The new cursor's hash comes from the stored headers, else from the
/// node; when neither has it, the hash is left unknown (zero) and the next
/// applied block is taken as its child.
RewindResult rewind(storage::Store& store, rpc::Client& client, std::optional<BlockNum> to_block);

/// An add-tokens the database refuses (every token indexed already, a token
/// in the filter already, another add-tokens in progress); what() says why.
class AddTokensRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct AddTokensResult {
    std::vector<Address> tokens;       // the tokens being added, ascending
    BlockNum from_block{0};            // the stored --start-block
    std::optional<BlockNum> to_block;  // the cursor: indexed up to here, then followed
};

/// Starts adding `tokens` to the database's stored --tokens filter: records
/// the progress row from which the ingestion loop indexes their transfers
/// from the stored start block up to the cursor, then follows them.
/// Throws AddTokensRefused (see above), also for a database without a stored
/// filter (never started by this version).
AddTokensResult begin_add_tokens(storage::Store& store, std::vector<Address> tokens);

/// Commands for the ingestion thread from other threads (the admin API).
class Control {
  public:
    struct Rewind {
        std::optional<BlockNum> to_block;
        bool reindex{false};
        std::promise<RewindResult> done;
    };

    struct AddTokens {
        std::vector<Address> tokens;
        std::promise<AddTokensResult> done;
    };

    /// Asks the ingestion thread to rewind; the future is ready once the
    /// rollback is written (re-ingestion goes on after it).
    std::future<RewindResult> request_rewind(std::optional<BlockNum> to_block, bool reindex);
    /// Asks the ingestion thread to begin_add_tokens; the future is ready
    /// once the progress row is written (the backfill goes on after it).
    std::future<AddTokensResult> request_add_tokens(std::vector<Address> tokens);

    /// Ingestion side: the next request, if any.
    std::optional<Rewind> take();
    std::optional<AddTokens> take_add_tokens();
    [[nodiscard]] bool pending();
    /// Fails every waiting request and every later one with `why` (the
    /// ingestion thread has stopped), so no admin caller waits forever.
    void cancel_all(const std::string& why);

    /// Sleeps up to `d`, waking early on a request or a stop. False when stopping.
    bool wait(std::stop_token& stop, std::chrono::steady_clock::duration d);

  private:
    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::deque<Rewind> queue_;
    std::deque<AddTokens> add_queue_;
    std::string closed_;  // set by cancel_all: why later requests fail
};

enum class State : int { kStarting, kBackfilling, kFollowing, kReindexing, kError };
[[nodiscard]] const char* to_string(State s) noexcept;

/// What the indexer knows that is not in the database, for /v1/status and
/// /metrics. Written by the indexer thread, read by any thread.
struct LiveStatus {
    /// The running backfill's or reindex's progress (none before its first
    /// range); read while the state is backfilling or reindexing.
    void set_progress(std::optional<SyncProgress> p) {
        std::lock_guard lock(progress_mutex_);
        progress_ = p;
    }
    [[nodiscard]] std::optional<SyncProgress> progress() const {
        std::lock_guard lock(progress_mutex_);
        return progress_;
    }

    std::atomic<uint64_t> node_block{0};
    std::atomic<int> state{static_cast<int>(State::kStarting)};
    std::atomic<bool> node_reachable{true};
    std::atomic<uint64_t> reorgs_total{0};
    std::atomic<uint64_t> deepest_reorg{0};
    std::atomic<uint64_t> transfers_applied{0};
    std::atomic<uint64_t> chain_id{0};

  private:
    mutable std::mutex progress_mutex_;
    std::optional<SyncProgress> progress_;
};

class Indexer {
  public:
    Indexer(IndexerOptions options, storage::Store& store, LiveStatus& status, Control& control);
    ~Indexer();
    Indexer(const Indexer&) = delete;
    Indexer& operator=(const Indexer&) = delete;

    /// Connects to the node (retrying until it answers), checks the chain id
    /// against the database, then backfills and follows until `stop` is
    /// requested. Throws storage::StoreError on database failures and
    /// std::runtime_error on conditions that need an operator (wrong chain, a
    /// reorg deeper than the window).
    void run(std::stop_token stop);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace erc20::indexer
