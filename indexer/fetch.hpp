#pragma once
// Fetching block ranges: one range checked (fetch_range), and the window of
// ranges in flight on several connections at once (Fetcher).

#include <atomic>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "common/types.hpp"
#include "indexer/node.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

/// A range the node refused as too large (kRangeTooLarge), then answered in
/// parts: it held `logs` logs.
struct Refusal {
    BlockNum from{0};
    uint64_t blocks{0};
    size_t logs{0};
    rpc::RpcError error;
};

/// Ranges ending this close to the head are where a node may not have its
/// logs yet: their completeness check waits a little before asking again.
inline constexpr BlockNum kNearHeadBlocks = 8;

/// A block range fetched and checked: headers of every block in it, in order,
/// linked by parent hash, and the ERC20 transfers of its logs, each log's
/// blockHash equal to the header of its block.
struct FetchedRange {
    BlockNum from{0};
    BlockNum to{0};
    std::vector<rpc::BlockHeader> headers;
    std::vector<storage::Transfer> transfers;  // sorted by (block_num, log_index)
    size_t log_count{0};                       // every log the node returned, ERC20-shaped or not
    std::vector<Refusal> refusals;             // parts refused on the way (fetch_splitting)
};

/// Fetches the logs of `tokens` (every token when empty) and the headers of
/// [from, to], and checks them: headers link, every log's blockHash is its
/// header's, no duplicate log index. The blocks whose bloom may hold
/// Transfer logs but returned none are asked again in one eth_getLogs over
/// their span (`near_head`: after a short sleep, up to twice). An
/// inconsistent answer is kMalformed.
rpc::Result<FetchedRange> fetch_range(Node& node, BlockNum from, BlockNum to,
                                      const std::vector<Address>& tokens, bool near_head = false);

/// fetch_range, and when the node refuses the range as too large, the range
/// in pieces on the same node: half the refused size (or up to the node's
/// suggested end) after each refusal, then, once a piece answered and when
/// the node named its limit, kLimitAim of it by the density just seen. Only
/// the refused range is asked again; the refusals (with the logs each
/// refused part turned out to hold) are in `refusals`. A single block
/// refused is the error.
rpc::Result<FetchedRange> fetch_splitting(Node& node, BlockNum from, BlockNum to,
                                          const std::vector<Address>& tokens,
                                          bool near_head = false);

/// Ranges in flight, one per free node, fetched on their own threads and
/// taken in block order. A node is free again once its range has arrived.
/// A range the node refuses is split on its node (fetch_splitting): the other
/// ranges stay. A failed range stops new launches, so the window drains up to it.
/// Used by one thread.
class Fetcher {
  public:
    /// `nodes` and `tokens` outlive the Fetcher. At most `max_queued` ranges
    /// are in flight or arrived and not yet taken. `head`: the node's head
    /// (0: unknown), for the completeness check's sleeps near it.
    Fetcher(const std::vector<Node*>& nodes, const std::vector<Address>& tokens, size_t max_queued,
            BlockNum head = 0);
    ~Fetcher();  // waits for the ranges in flight
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    /// Launches ranges of `range_size` blocks from `next` up to `target` on
    /// the free nodes; `next` moves past what was launched.
    void launch(BlockNum& next, BlockNum target, uint64_t range_size);
    [[nodiscard]] bool empty() const { return inflight_.empty(); }
    /// The first range has arrived (take() will not wait).
    [[nodiscard]] bool next_ready() const;
    /// Waits for the first range and takes it. REQUIRES: !empty().
    rpc::Result<FetchedRange> take();
    /// Waits for every range still in flight and drops them; returns the
    /// longest Retry-After any of them was told, so none is retried early.
    std::optional<int64_t> drain();

  private:
    struct InFlight {
        size_t node;
        std::future<rpc::Result<FetchedRange>> result;
        std::shared_ptr<std::atomic<bool>> failed;  // set by the fetch when it failed
        bool released{false};                       // its node went back to the pool
    };
    const std::vector<Node*>& nodes_;
    const std::vector<Address>& tokens_;
    size_t max_queued_;
    BlockNum head_;
    std::deque<InFlight> inflight_;
    std::vector<size_t> free_;
};

}  // namespace erc20::indexer
