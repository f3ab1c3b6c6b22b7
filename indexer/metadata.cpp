#include "indexer/metadata.hpp"

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "rpc/abi.hpp"

namespace erc20::indexer {

MetadataWorker::MetadataWorker(rpc::ClientOptions rpc, storage::Store& store)
    : client_(std::move(rpc)), store_(store) {
    auto missing = store_.tokens_without_meta();
    new_.insert(missing.begin(), missing.end());
    thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

MetadataWorker::~MetadataWorker() {
    thread_.request_stop();
    wake_.notify_all();
}

void MetadataWorker::add_new(const std::vector<Address>& tokens) {
    if (tokens.empty()) return;
    {
        std::lock_guard lock(mutex_);
        new_.insert(tokens.begin(), tokens.end());
    }
    wake_.notify_all();
}

void MetadataWorker::add_touched(const std::vector<Address>& tokens, BlockNum head) {
    std::lock_guard lock(mutex_);
    touched_.insert(tokens.begin(), tokens.end());
    head_ = std::max(head_, head);
}

void MetadataWorker::loop(std::stop_token stop) {
    using namespace std::chrono_literals;
    while (!stop.stop_requested()) {
        std::vector<Address> fresh, touched;
        BlockNum head = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, stop, 2s, [&] { return !new_.empty(); });
            if (stop.stop_requested()) return;
            // Failed calls are asked again every few seconds, not at once.
            auto now = std::chrono::steady_clock::now();
            if (now - last_retry_ >= 3s) {
                new_.insert(retry_new_.begin(), retry_new_.end());
                touched_.insert(retry_touched_.begin(), retry_touched_.end());
                retry_new_.clear();
                retry_touched_.clear();
                last_retry_ = now;
            }
            // A few hundred per round keeps each batch request small.
            while (!new_.empty() && fresh.size() < 200) {
                fresh.push_back(*new_.begin());
                touched_.erase(*new_.begin());
                new_.erase(new_.begin());
            }
            while (!touched_.empty() && touched.size() < 200) {
                touched.push_back(*touched_.begin());
                touched_.erase(touched_.begin());
            }
            head = head_;
        }
        if (!fresh.empty()) fetch(fresh, true, head);
        if (!touched.empty()) fetch(touched, false, head);
    }
}

void MetadataWorker::fetch(const std::vector<Address>& tokens, bool full, BlockNum head) {
    // Per token: totalSupply, then name, symbol, decimals when full.
    const size_t per = full ? 4 : 1;
    std::vector<std::pair<Address, std::vector<uint8_t>>> calls;
    for (const auto& t : tokens) {
        calls.emplace_back(t, rpc::selector_total_supply());
        if (full) {
            calls.emplace_back(t, rpc::selector_name());
            calls.emplace_back(t, rpc::selector_symbol());
            calls.emplace_back(t, rpc::selector_decimals());
        }
    }
    auto answer = client_.call_batch(calls, std::nullopt);
    if (!answer) {
        spdlog::debug("metadata: batch of {} calls failed: {}", calls.size(), answer.error().to_string());
        std::lock_guard lock(mutex_);
        (full ? retry_new_ : retry_touched_).insert(tokens.begin(), tokens.end());
        return;
    }
    auto& results = answer.value();
    auto view = store_.view();
    for (size_t i = 0; i < tokens.size(); ++i) {
        // Only a revert or an answer gives a value (or null); other failures retry later.
        bool retry = false;
        auto bytes = [&](size_t k) -> std::optional<std::vector<uint8_t>> {
            auto& r = results[i * per + k];
            if (r.ok()) return r.value();
            // A revert means the token has no such function: null. Anything
            // else (an internal error of the node, a timeout) is asked again
            // on later rounds, and taken as null after kMaxAttempts.
            if (r.error().kind != rpc::RpcError::Kind::kReverted) retry = true;
            return std::nullopt;
        };
        storage::TokenMeta meta;
        if (!full) {
            auto existing = view.token_meta(tokens[i]);
            if (!existing) continue;  // not fetched yet (or removed by a reorg)
            meta = *existing;
        }
        auto supply = bytes(0);
        meta.total_supply = supply ? rpc::decode_uint256(*supply) : std::nullopt;
        meta.refreshed_block = head;
        if (full) {
            auto name = bytes(1);
            auto symbol = bytes(2);
            auto decimals = bytes(3);
            meta.name = name ? rpc::decode_string(*name) : std::nullopt;
            meta.symbol = symbol ? rpc::decode_string(*symbol) : std::nullopt;
            meta.decimals = decimals ? rpc::decode_decimals(*decimals) : std::nullopt;
        }
        if (retry && ++attempts_[tokens[i]] < kMaxAttempts) {
            std::lock_guard lock(mutex_);
            (full ? retry_new_ : retry_touched_).insert(tokens[i]);
            continue;
        }
        attempts_.erase(tokens[i]);
        if (retry && !full) continue;  // keep the last good totalSupply
        if (!view.token_stats(tokens[i])) continue;  // removed by a reorg meanwhile
        try {
            store_.put_token_meta(tokens[i], meta);
        } catch (const storage::StoreError& e) {
            // A full or read-only disk: the ingestion thread reports it; this
            // row is written on a later round.
            spdlog::debug("metadata: {}", e.what());
            std::lock_guard lock(mutex_);
            (full ? retry_new_ : retry_touched_).insert(tokens[i]);
            continue;
        }
        if (full) {
            spdlog::debug("metadata: {} is {} ({})", to_hex(tokens[i]), meta.symbol.value_or("?"),
                          meta.name.value_or("?"));
        }
    }
}

}  // namespace erc20::indexer
