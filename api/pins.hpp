#pragma once
// Pinned snapshots: a paging walk reads every page from the snapshot its
// first page was read from, so each item comes exactly once even while
// blocks are applied between pages. Pins expire after a time unused, and
// the oldest go first beyond a maximum.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/store.hpp"

namespace erc20::api {

class Pins {
  public:
    using ViewPtr = std::shared_ptr<const storage::View>;

    Pins(std::chrono::seconds ttl, size_t max_pinned);
    Pins(const Pins&) = delete;
    Pins& operator=(const Pins&) = delete;

    /// The pin of the state `fresh` shows, made on first use. Pins are keyed
    /// by that state (state_key), so a first page read after a metadata write
    /// at the same block gets a new pin; the id follows from the key, so one
    /// state's answers are the same bytes.
    std::pair<uint64_t, ViewPtr> for_state(const ViewPtr& fresh);
    /// The pinned snapshot `id`, marked used; nullptr once it expired.
    ViewPtr find(uint64_t id);

    /// What a snapshot shows: the cursor names the derived data, the
    /// metadata version the eth_call data.
    static std::string state_key(const storage::View& v);
    /// A hash of `key` salted for this process: pin ids and ETags are valid
    /// for one running daemon.
    [[nodiscard]] uint64_t hash_of(std::string_view key) const;

  private:
    struct Pin {
        ViewPtr view;
        std::chrono::steady_clock::time_point used;
        std::string state;  // state_key of the view
    };
    void expire();  // REQUIRES: mutex_ held
    std::map<uint64_t, Pin>::iterator drop(std::map<uint64_t, Pin>::iterator it);

    const std::chrono::seconds ttl_;
    const size_t max_;
    const uint64_t salt_;
    std::mutex mutex_;
    std::map<uint64_t, Pin> pins_;
    std::map<std::string, uint64_t> by_state_;  // first pages of one state share one pin
};

}  // namespace erc20::api
