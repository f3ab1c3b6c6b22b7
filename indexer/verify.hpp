#pragma once
// verify: compares indexed balances with the chain's balanceOf at the indexed
// head. Tokens whose balances drift from their Transfer events (fee-on-
// transfer, rebasing, tokens that mint without events) show up here.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/types.hpp"
#include "rpc/client.hpp"
#include "storage/store.hpp"

namespace erc20::indexer {

struct Mismatch {
    Address token;
    Address holder;
    Balance indexed;
    std::optional<U256> chain;  // nullopt when the call failed or reverted
    std::string error;          // why chain is missing
};

struct VerifyReport {
    BlockNum block{0};
    size_t tokens{0};
    size_t checked{0};
    std::vector<Mismatch> mismatches;
    bool complete{true};  // false: the progress hook stopped it early
};

/// Called before the first and after each batch of balanceOf calls with the
/// balances checked so far and the number to check; returning false stops
/// the verify there (report.complete false).
using VerifyProgress = std::function<bool(size_t checked, size_t total)>;

/// Checks the holders of `token` (every token when nullopt): all of them, or
/// `sample` of each chosen at random when sample > 0, by batched eth_call
/// balanceOf at the view's block. Transport failures are retried a few times,
/// then reported as mismatches with the error.
VerifyReport verify(const storage::View& view, rpc::Client& client, std::optional<Address> token,
                    uint64_t sample, const VerifyProgress& progress = {});

}  // namespace erc20::indexer
