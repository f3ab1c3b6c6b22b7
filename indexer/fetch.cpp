#include "indexer/fetch.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/keccak.hpp"
#include "indexer/extract.hpp"
#include "indexer/range_window.hpp"

namespace erc20::indexer {
namespace {

rpc::RpcError inconsistent(std::string message) {
    rpc::RpcError e;
    e.kind = rpc::RpcError::Kind::kMalformed;
    e.message = "inconsistent answer: " + std::move(message);
    return e;
}

constexpr BlockNum kHeadersPerBatch = 200;

// The headers of [from, to], checked to be in order and to link.
std::optional<rpc::RpcError> fetch_headers(Node& node, FetchedRange& r) {
    r.headers.reserve(r.to - r.from + 1);
    for (BlockNum b = r.from; b <= r.to; b += kHeadersPerBatch) {
        BlockNum e = std::min(r.to, b + kHeadersPerBatch - 1);
        auto headers = node.headers(b, e);
        if (!headers) return headers.error();
        for (auto& h : headers.value()) {
            if (!h)
                return inconsistent("header of a block in [" + std::to_string(b) + ", " +
                                    std::to_string(e) + "] not found yet");
            r.headers.push_back(*h);
        }
    }
    for (size_t i = 0; i < r.headers.size(); ++i) {
        if (r.headers[i].block_num != r.from + i)
            return inconsistent("header numbers out of order");
        if (i > 0 && r.headers[i].parent_hash != r.headers[i - 1].hash) {
            return inconsistent("headers of block " + std::to_string(r.from + i) +
                                " and its parent do not link");
        }
    }
    return std::nullopt;
}

// Takes the transfers of `batch` into `r`, counting the logs of each block.
std::optional<rpc::RpcError> take_logs(FetchedRange& r, const std::vector<rpc::Log>& batch,
                                       std::vector<uint32_t>& logs_per_block) {
    for (const auto& log : batch) {
        if (log.block_num < r.from || log.block_num > r.to)
            return inconsistent("log outside the requested range");
        if (log.removed) return inconsistent("removed log");
        if (log.block_hash != r.headers[log.block_num - r.from].hash) {
            return inconsistent("log of block " + std::to_string(log.block_num) +
                                " carries another block hash than its header");
        }
        logs_per_block[log.block_num - r.from] += 1;
        if (auto t = extract_transfer(log)) r.transfers.push_back(*t);
    }
    return std::nullopt;
}

// The blocks of `r` whose bloom may hold Transfer logs (of the wanted tokens)
// but for which none came back.
std::vector<BlockNum> suspicious_blocks(const FetchedRange& r, const std::vector<Address>& tokens,
                                        const std::vector<uint32_t>& logs_per_block) {
    auto bloom_says_maybe = [&](const rpc::BlockHeader& h) {
        if (!bloom_may_contain(h.logs_bloom, kTransferTopic.bytes)) return false;
        if (tokens.empty()) return true;
        return std::any_of(tokens.begin(), tokens.end(), [&](const Address& a) {
            return bloom_may_contain(h.logs_bloom, a.bytes);
        });
    };
    std::vector<BlockNum> out;
    for (size_t i = 0; i < r.headers.size(); ++i) {
        if (logs_per_block[i] == 0 && bloom_says_maybe(r.headers[i])) out.push_back(r.from + i);
    }
    return out;
}

// Blocks whose bloom may hold logs but returned none: the node may not have
// caught up on its logs yet. They are asked again in one eth_getLogs over
// their span, whose logs of those blocks only are taken (the others came
// already). Near the head, where a node may lag, after a short sleep and up
// to twice; far from it once, without sleeping, and a block still empty is
// a bloom false positive (on mainnet, whose blooms are close to saturated,
// the common case).
std::optional<rpc::RpcError> ask_again(Node& node, FetchedRange& r,
                                       const std::vector<Address>& tokens,
                                       std::vector<uint32_t>& logs_per_block, bool near_head) {
    std::vector<BlockNum> blocks = suspicious_blocks(r, tokens, logs_per_block);
    for (int attempt = 1; attempt <= (near_head ? 2 : 1) && !blocks.empty(); ++attempt) {
        if (near_head) std::this_thread::sleep_for(std::chrono::milliseconds(150 * attempt));
        auto again = node.logs(blocks.front(), blocks.back(), kTransferTopic, tokens);
        if (!again) return again.error();
        std::vector<rpc::Log> fresh;
        for (const auto& log : again.value()) {
            if (std::binary_search(blocks.begin(), blocks.end(), log.block_num))
                fresh.push_back(log);
        }
        if (fresh.empty()) continue;
        spdlog::debug("eth_getLogs: {} logs in [{}, {}] came only on asking again", fresh.size(),
                      blocks.front(), blocks.back());
        if (auto e = take_logs(r, fresh, logs_per_block)) return e;
        r.log_count += fresh.size();
        blocks = suspicious_blocks(r, tokens, logs_per_block);
    }
    return std::nullopt;
}

// `b` (the range after `a`) appended to `a`.
void append(FetchedRange& a, FetchedRange&& b) {
    a.to = b.to;
    a.headers.insert(a.headers.end(), b.headers.begin(), b.headers.end());
    a.transfers.insert(a.transfers.end(), std::make_move_iterator(b.transfers.begin()),
                       std::make_move_iterator(b.transfers.end()));
    a.log_count += b.log_count;
    a.refusals.insert(a.refusals.end(), b.refusals.begin(), b.refusals.end());
}

}  // namespace

rpc::Result<FetchedRange> fetch_range(Node& node, BlockNum from, BlockNum to,
                                      const std::vector<Address>& tokens, bool near_head) {
    FetchedRange r;
    r.from = from;
    r.to = to;
    auto logs = node.logs(from, to, kTransferTopic, tokens);
    if (!logs) return logs.error();
    if (auto e = fetch_headers(node, r)) return *e;
    r.transfers.reserve(logs->size());
    std::vector<uint32_t> logs_per_block(r.headers.size(), 0);
    if (auto e = take_logs(r, logs.value(), logs_per_block)) return *e;
    r.log_count = logs->size();
    if (auto e = ask_again(node, r, tokens, logs_per_block, near_head)) return *e;
    std::sort(r.transfers.begin(), r.transfers.end(), [](const auto& a, const auto& b) {
        return std::tie(a.block_num, a.log_index) < std::tie(b.block_num, b.log_index);
    });
    for (size_t i = 1; i < r.transfers.size(); ++i) {
        if (r.transfers[i].block_num == r.transfers[i - 1].block_num &&
            r.transfers[i].log_index == r.transfers[i - 1].log_index) {
            return inconsistent("duplicate log index in block " +
                                std::to_string(r.transfers[i].block_num));
        }
    }
    return r;
}

namespace {

struct Piece {
    BlockNum from;
    BlockNum to;
    size_t logs;
};

// The logs the answered pieces hold in [from, from + blocks - 1] (a piece
// that overlaps it in part counts in proportion).
size_t logs_within(const std::vector<Piece>& pieces, BlockNum from, uint64_t blocks) {
    const BlockNum to = from + blocks - 1;
    double sum = 0;
    for (const auto& p : pieces) {
        if (p.to < from || p.from > to) continue;
        const double overlap = static_cast<double>(std::min(to, p.to) - std::max(from, p.from) + 1);
        sum += static_cast<double>(p.logs) * overlap / static_cast<double>(p.to - p.from + 1);
    }
    return static_cast<size_t>(std::llround(sum));
}

// The next piece's size after one of `blocks` blocks answered `logs` logs:
// kLimitAim of a limit the node named, by the density just seen (at most
// doubling); without a named limit, the size that was answered.
uint64_t next_piece(uint64_t blocks, size_t logs, std::optional<uint64_t> limit) {
    if (!limit) return blocks;
    const double per_block =
        std::max(1e-3, static_cast<double>(logs) / static_cast<double>(blocks));
    const double fitted = kLimitAim * static_cast<double>(*limit) / per_block;
    return std::clamp<uint64_t>(static_cast<uint64_t>(fitted), 1, blocks * 2);
}

}  // namespace

rpc::Result<FetchedRange> fetch_splitting(Node& node, BlockNum from, BlockNum to,
                                          const std::vector<Address>& tokens, bool near_head) {
    auto whole = fetch_range(node, from, to, tokens, near_head);
    if (whole || whole.error().kind != rpc::RpcError::Kind::kRangeTooLarge || from == to)
        return whole;
    std::vector<Refusal> refusals{{from, to - from + 1, 0, whole.error()}};
    std::optional<uint64_t> limit = named_log_limit(whole.error());
    std::vector<Piece> pieces;
    std::optional<FetchedRange> out;
    uint64_t piece = 0;  // 0: half the last refused piece (or up to the node's suggested end)
    for (BlockNum b = from; b <= to;) {
        if (piece == 0) {
            const Refusal& last = refusals.back();
            piece = std::max<uint64_t>(1, last.blocks / 2);
            const auto& hint = last.error.suggested_to;
            if (hint && *hint >= b && *hint - b + 1 < piece) piece = *hint - b + 1;
        }
        const BlockNum e = std::min(to, b + piece - 1);
        auto r = fetch_range(node, b, e, tokens, near_head);
        if (!r && r.error().kind == rpc::RpcError::Kind::kRangeTooLarge && e > b) {
            refusals.push_back({b, e - b + 1, 0, r.error()});
            if (!limit) limit = named_log_limit(r.error());
            piece = 0;
            continue;
        }
        if (!r) return r;
        pieces.push_back({b, e, r->log_count});
        piece = next_piece(e - b + 1, r->log_count, limit);
        if (out) {
            append(*out, std::move(*r));
        } else {
            out = std::move(*r);
        }
        b = e + 1;
    }
    for (auto& f : refusals) f.logs = logs_within(pieces, f.from, f.blocks);
    out->refusals = std::move(refusals);
    return std::move(*out);
}

Fetcher::Fetcher(const std::vector<Node*>& nodes, const std::vector<Address>& tokens,
                 size_t max_queued, BlockNum head)
    : nodes_(nodes), tokens_(tokens), max_queued_(max_queued), head_(head) {
    for (size_t i = nodes_.size(); i-- > 0;) free_.push_back(i);
}

Fetcher::~Fetcher() { drain(); }

void Fetcher::launch(BlockNum& next, BlockNum target, uint64_t range_size) {
    for (auto& f : inflight_) {
        if (f.failed->load()) return;
        if (!f.released &&
            f.result.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            if (f.failed->load()) return;
            free_.push_back(f.node);
            f.released = true;
        }
    }
    while (!free_.empty() && next <= target && inflight_.size() < max_queued_) {
        const BlockNum e = std::min(target, next + range_size - 1);
        const size_t ni = free_.back();
        free_.pop_back();
        Node* node = nodes_[ni];
        auto failed = std::make_shared<std::atomic<bool>>(false);
        const std::vector<Address>* tokens = &tokens_;
        const bool near_head = head_ != 0 && e + kNearHeadBlocks >= head_;
        inflight_.push_back({ni,
                             std::async(std::launch::async,
                                        [node, b = next, e, failed, tokens, near_head] {
                                            auto r =
                                                fetch_splitting(*node, b, e, *tokens, near_head);
                                            if (!r) failed->store(true);
                                            return r;
                                        }),
                             failed, false});
        next = e + 1;
    }
}

bool Fetcher::next_ready() const {
    return !inflight_.empty() &&
           inflight_.front().result.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

rpc::Result<FetchedRange> Fetcher::take() {
    auto r = inflight_.front().result.get();
    if (!inflight_.front().released) free_.push_back(inflight_.front().node);
    inflight_.pop_front();
    return r;
}

std::optional<int64_t> Fetcher::drain() {
    std::optional<int64_t> retry_after;
    for (auto& f : inflight_) {
        auto other = f.result.get();
        if (!other && other.error().retry_after_ms) {
            retry_after = std::max(retry_after.value_or(0), *other.error().retry_after_ms);
        }
    }
    inflight_.clear();
    free_.clear();
    for (size_t i = nodes_.size(); i-- > 0;) free_.push_back(i);
    return retry_after;
}

}  // namespace erc20::indexer
