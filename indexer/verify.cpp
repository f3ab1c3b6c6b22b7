#include "indexer/verify.hpp"

#include <random>
#include <thread>

#include "rpc/abi.hpp"

namespace erc20::indexer {
namespace {

constexpr size_t kCallsPerBatch = 100;

std::vector<storage::HolderItem> pick_holders(const storage::View& view, const Address& token,
                                              uint64_t sample) {
    std::vector<storage::HolderItem> out;
    std::mt19937_64 rng(0x5eed);
    std::optional<storage::Position> pos, next;
    uint64_t seen = 0;
    do {
        for (const auto& h : view.holders(token, pos, 10000, next)) {
            ++seen;
            if (sample == 0 || out.size() < sample) {
                out.push_back(h);
            } else {
                // Reservoir sampling: every holder has the same chance.
                uint64_t j = rng() % seen;
                if (j < sample) out[j] = h;
            }
        }
        pos = next;
    } while (next);
    return out;
}

// How many balances verify checks: each token's holders, or `sample` of them.
size_t balances_to_check(const storage::View& view, const std::vector<Address>& tokens,
                         uint64_t sample) {
    size_t total = 0;
    for (const auto& t : tokens) {
        auto stats = view.token_stats(t);
        uint64_t n = stats ? stats->holders : 0;
        total += static_cast<size_t>(sample > 0 ? std::min(n, sample) : n);
    }
    return total;
}

}  // namespace

VerifyReport verify(const storage::View& view, rpc::Client& client, std::optional<Address> token,
                    uint64_t sample, const VerifyProgress& progress) {
    VerifyReport report;
    auto cursor = view.cursor();
    if (!cursor) return report;
    report.block = cursor->block_num;
    std::vector<Address> tokens;
    if (token) {
        if (view.token_stats(*token)) tokens.push_back(*token);
    } else {
        std::optional<Address> after;
        for (;;) {
            auto page = view.tokens(after, 1000);
            tokens.insert(tokens.end(), page.begin(), page.end());
            if (page.size() < 1000) break;
            after = page.back();
        }
    }
    report.tokens = tokens.size();
    const size_t total = progress ? balances_to_check(view, tokens, sample) : 0;
    auto go_on = [&] {
        return !progress || progress(report.checked, std::max(total, report.checked));
    };
    if (!go_on()) {
        report.complete = false;
        return report;
    }
    for (const auto& t : tokens) {
        auto holders = pick_holders(view, t, sample);
        for (size_t start = 0; start < holders.size(); start += kCallsPerBatch) {
            size_t end = std::min(holders.size(), start + kCallsPerBatch);
            std::vector<std::pair<Address, std::vector<uint8_t>>> calls;
            for (size_t i = start; i < end; ++i)
                calls.emplace_back(t, rpc::encode_balance_of(holders[i].holder));
            auto answer = client.call_batch(calls, report.block);
            for (int attempt = 1; !answer && attempt < 4; ++attempt) {
                std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
                answer = client.call_batch(calls, report.block);
            }
            for (size_t i = start; i < end; ++i) {
                const auto& h = holders[i];
                report.checked += 1;
                Mismatch m{t, h.holder, h.balance, std::nullopt, {}};
                if (!answer) {
                    m.error = answer.error().to_string();
                    report.mismatches.push_back(m);
                    continue;
                }
                auto& r = answer.value()[i - start];
                if (!r) {
                    m.error = r.error().to_string();
                    report.mismatches.push_back(m);
                    continue;
                }
                m.chain = rpc::decode_uint256(r.value());
                if (!m.chain) {
                    m.error = "balanceOf returned no uint256";
                    report.mismatches.push_back(m);
                } else if (Balance(*m.chain) != h.balance) {
                    report.mismatches.push_back(m);
                }
            }
            if (!go_on()) {
                report.complete = false;
                return report;
            }
        }
    }
    return report;
}

}  // namespace erc20::indexer
