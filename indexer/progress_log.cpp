#include "indexer/progress_log.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/log.hpp"

namespace erc20::indexer {
namespace {

// An ETA for a log field: nullopt when unknown (negative).
std::optional<double> eta_field(double seconds) {
    return seconds < 0 ? std::nullopt : std::optional<double>(seconds);
}

}  // namespace

std::string format_eta(double seconds) {
    if (seconds < 0 || seconds > 1e8) return "?";
    auto s = static_cast<uint64_t>(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lluh%02llum%02llus", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60),
                  static_cast<unsigned long long>(s % 60));
    return buf;
}

void log_range_progress(const RangeProgress& p) {
    log::event(spdlog::level::info,
               fmt::format("{}: block {} of {} ({:.1f}%), {:.0f} blocks/s, {:.0f} transfers/s, "
                           "ETA {}",
                           p.state, p.block, p.to_block, p.percent, p.blocks_per_s,
                           p.transfers_per_s, format_eta(p.eta_s)),
               {{"state", p.state},
                {"block", p.block},
                {"to_block", p.to_block},
                {"percent", p.percent},
                {"blocks_per_s", p.blocks_per_s},
                {"transfers_per_s", p.transfers_per_s},
                {"eta_s", eta_field(p.eta_s)}});
}

void log_add_tokens_progress(BlockNum at, BlockNum to_block, double blocks_per_s,
                             uint64_t transfers, double eta_s) {
    log::event(spdlog::level::info,
               fmt::format("add-tokens: block {} of {}, {:.0f} blocks/s, {} transfers so far, "
                           "ETA {}",
                           at, to_block, blocks_per_s, transfers, format_eta(eta_s)),
               {{"state", "reindexing"},
                {"block", at},
                {"to_block", to_block},
                {"blocks_per_s", blocks_per_s},
                {"transfers", transfers},
                {"eta_s", eta_field(eta_s)}});
}

void log_add_tokens_done(const std::vector<Address>& tokens, BlockNum from_block, BlockNum to_block,
                         uint64_t transfers, double elapsed_s, size_t following) {
    log::event(
        spdlog::level::info,
        fmt::format("add-tokens: done: {} indexed from block {} to {} ({} transfers, "
                    "{:.1f} s); following {} tokens",
                    to_hex_list(tokens), from_block, to_block, transfers, elapsed_s, following),
        {{"from_block", from_block},
         {"to_block", to_block},
         {"transfers", transfers},
         {"elapsed_s", elapsed_s},
         {"tokens", following}});
}

void ProgressMeter::restart(BlockNum origin, uint64_t transfers) {
    at_ = std::chrono::steady_clock::now();
    origin_ = block_ = origin;
    transfers_ = transfers;
    rates_.reset();
}

SyncProgress ProgressMeter::update(std::string_view state, BlockNum at, BlockNum target,
                                   uint64_t transfers, bool force) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - at_).count();
    const auto eta = [&](double bps) {
        return bps > 0 ? static_cast<double>(target - std::min(target, at)) / bps : -1;
    };
    if (force || elapsed >= 5.0) {
        if (elapsed > 0 && at > block_) {
            const double bps = static_cast<double>(at - block_) / elapsed;
            const double tps = static_cast<double>(transfers - transfers_) / elapsed;
            rates_ = {bps, tps};
            log_range_progress({state, at, target, percent_done(at, target), bps, tps, eta(bps)});
        }
        at_ = now;
        block_ = at;
        transfers_ = transfers;
    }
    SyncProgress p{origin_ + 1, target, std::nullopt, std::nullopt, std::nullopt};
    if (rates_) {
        p.blocks_per_s = rates_->first;
        p.transfers_per_s = rates_->second;
        if (eta(rates_->first) >= 0) p.eta_seconds = eta(rates_->first);
    }
    return p;
}

double ProgressMeter::percent_done(BlockNum at, BlockNum target) const {
    if (target <= origin_) return 100.0;
    const BlockNum done = at > origin_ ? std::min(at, target) - origin_ : 0;
    return 100.0 * static_cast<double>(done) / static_cast<double>(target - origin_);
}

}  // namespace erc20::indexer
