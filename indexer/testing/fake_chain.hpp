#pragma once
// A deterministic fake Ethereum node for unit tests, behind the
// rpc::ClientOptions::transport seam: no socket, no process. It answers the
// JSON-RPC requests the indexer sends (eth_chainId, eth_blockNumber,
// eth_getBlockByNumber single and batch, eth_getLogs with address and topic
// filters, eth_call of totalSupply/name/symbol/decimals) from a chain of
// blocks holding ERC20 transfers of a few tokens (mints, burns, transfers
// between a small set of holders), and can replace its last blocks (a reorg).
// Thread-safe: every client of one indexer may call it at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/types.hpp"
#include "rpc/types.hpp"
#include "storage/store.hpp"

namespace erc20::indexer::testing {

struct FakeChainOptions {
    uint64_t chain_id{31337};
    uint64_t seed{1};
    size_t tokens{3};
    size_t holders{10};
    uint32_t max_transfers_per_block{6};
    /// eth_getLogs answers -32005 ("query returned more than N results") when
    /// a request matches more logs than this. 0: no limit.
    size_t max_logs{0};
    /// The refusal names no number ("Log response size exceeded"), as some
    /// providers' do not.
    bool unnamed_limit{false};
    /// Block sizes vary as mainnet's do: eras of denser and sparser blocks,
    /// and now and then a block several times the usual size.
    bool varying_sizes{false};
    /// Every block's logsBloom says "maybe" for everything (mainnet's are
    /// close to saturated); otherwise blooms are empty.
    bool saturated_bloom{false};
    /// Each eth_call of a request takes this long (a batch of n calls n
    /// times as long), without holding up the node's other requests.
    std::chrono::microseconds call_delay{0};
    /// Every revert_every-th token (index 0, n, 2n, ...) reverts every call,
    /// as a contract without the functions does. 0: none.
    size_t revert_every{0};
    /// Every junk_every-th token (index 1, n + 1, ...) answers name, symbol
    /// and decimals with bytes that decode to nothing. 0: none.
    size_t junk_every{0};
    /// eth_call fails with an internal error (-32603, a transient failure)
    /// for every fail_every-th token (index 2, n + 2, ...). 0: none.
    size_t fail_every{0};
    /// Every rate_limit_every-th request holding eth_calls is refused with
    /// HTTP 429 and a Retry-After of retry_after_ms, as a provider's rate
    /// limit does. 0: none.
    size_t rate_limit_every{0};
    int64_t retry_after_ms{1000};
};

/// What the fake node was asked and answered.
struct FakeChainStats {
    uint64_t requests{0};      // HTTP requests (a batch is one)
    uint64_t get_logs{0};      // eth_getLogs calls
    uint64_t refused{0};       // of them, refused as too many results
    uint64_t logs_served{0};   // logs in answers
    uint64_t logs_again{0};    // of them, logs an earlier answer carried already
    uint64_t header_calls{0};  // eth_getBlockByNumber calls (a batch counts each)
    uint64_t calls{0};         // eth_call calls (a batch counts each)
    uint64_t failed_calls{0};  // of them, answered with the transient failure (fail_every)
    uint64_t max_call_requests_in_flight{0};  // requests holding eth_calls at once, at most
    uint64_t rate_limited{0};  // requests holding eth_calls refused with 429 (rate_limit_every)
    /// The shortest time from a 429 to the next request holding eth_calls (-1: none came).
    int64_t min_ms_after_429{-1};
};

class FakeChain {
  public:
    explicit FakeChain(FakeChainOptions options);

    /// Mines blocks up to `head` (a no-op at or above it).
    void extend(BlockNum head);
    /// Replaces the last `depth` blocks by other blocks (other transfers,
    /// other hashes), then mines up to `head`. REQUIRES: depth <= the head.
    void reorg(BlockNum depth, BlockNum head);

    [[nodiscard]] BlockNum head() const;
    [[nodiscard]] Hash hash(BlockNum n) const;
    [[nodiscard]] std::vector<Address> tokens() const;
    [[nodiscard]] std::vector<Address> holders() const;
    /// Every transfer of the chain as it is now, in block and log order.
    [[nodiscard]] std::vector<storage::Transfer> transfers() const;
    /// The balance of `holder` in `token` at the head (mints minus burns and
    /// transfers, exactly as an ERC20 contract keeps it).
    [[nodiscard]] U256 balance(const Address& token, const Address& holder) const;

    /// The index of a token of tokens(), if it is one.
    [[nodiscard]] std::optional<size_t> token_index(const Address& a) const;
    /// What the contract of token `i` answers, as the metadata worker stores it.
    [[nodiscard]] static std::string token_name(size_t i) { return "Token " + std::to_string(i); }
    [[nodiscard]] static std::string token_symbol(size_t i) { return "TK" + std::to_string(i); }

    /// Answers one JSON-RPC request body (a call or a batch), as a node would.
    rpc::Result<std::string> answer(std::string_view request);
    [[nodiscard]] FakeChainStats stats() const;
    void reset_stats();
    /// The transport seam that serves this chain.
    std::function<rpc::Result<std::string>(std::string_view)> transport();

  private:
    struct Block {
        Hash hash;
        Hash parent_hash;
        std::vector<storage::Transfer> transfers;
    };
    void mine_locked();
    [[nodiscard]] U256 supply_locked(const Address& token) const;
    std::string answer_one(std::string_view method, std::string_view params, int64_t id);
    std::string logs_locked(std::string_view params, int64_t id);
    std::string call_locked(std::string_view params, int64_t id);
    std::optional<rpc::RpcError> rate_limit_locked();

    FakeChainOptions options_;
    std::vector<Address> tokens_;
    std::unordered_map<Address, size_t, AddressHasher> token_index_;
    mutable std::mutex mutex_;
    uint64_t call_requests_in_flight_{0};
    uint64_t call_requests_{0};
    std::optional<std::chrono::steady_clock::time_point> last_429_;
    std::vector<Block> blocks_;  // index = block number
    std::map<std::pair<Address, Address>, U256>
        balances_;  // at the head; the zero address is never a holder
    uint64_t forks_{0};
    FakeChainStats stats_;
    std::set<std::pair<BlockNum, uint32_t>> served_;  // (block, log index) of logs answered
};

}  // namespace erc20::indexer::testing
