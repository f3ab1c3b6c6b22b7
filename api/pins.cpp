#include "api/pins.hpp"

#include <algorithm>
#include <random>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

uint64_t random_salt() { return uint64_t{std::random_device{}()} << 32 | std::random_device{}(); }

}  // namespace

Pins::Pins(std::chrono::seconds ttl, size_t max_pinned)
    : ttl_(ttl), max_(max_pinned), salt_(random_salt()) {}

std::map<uint64_t, Pins::Pin>::iterator Pins::drop(std::map<uint64_t, Pin>::iterator it) {
    auto s = by_state_.find(it->second.state);
    if (s != by_state_.end() && s->second == it->first) by_state_.erase(s);
    return pins_.erase(it);
}

void Pins::expire() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = pins_.begin(); it != pins_.end();) {
        it = now - it->second.used > ttl_ ? drop(it) : std::next(it);
    }
    while (pins_.size() > max_) {
        drop(std::min_element(pins_.begin(), pins_.end(), [](const auto& a, const auto& b) {
            return a.second.used < b.second.used;
        }));
    }
}

std::pair<uint64_t, Pins::ViewPtr> Pins::for_state(const ViewPtr& fresh) {
    std::string state = state_key(*fresh);
    std::lock_guard lock(mutex_);
    expire();
    const auto now = std::chrono::steady_clock::now();
    if (auto s = by_state_.find(state); s != by_state_.end()) {
        auto& pin = pins_.at(s->second);
        pin.used = now;
        return {s->second, pin.view};
    }
    const uint64_t id = hash_of(state) | 1;
    by_state_[state] = id;
    pins_.insert_or_assign(id, Pin{fresh, now, std::move(state)});
    return {id, fresh};
}

Pins::ViewPtr Pins::find(uint64_t id) {
    std::lock_guard lock(mutex_);
    expire();
    auto it = pins_.find(id);
    if (it == pins_.end()) return nullptr;
    it->second.used = std::chrono::steady_clock::now();
    return it->second.view;
}

std::string Pins::state_key(const storage::View& v) {
    auto c = v.cursor();
    std::string key = c ? std::to_string(c->block_num) + to_hex(c->hash) : std::string("none");
    return key + "@" + std::to_string(v.meta_version());
}

uint64_t Pins::hash_of(std::string_view key) const {
    return std::hash<std::string_view>{}(key) ^ (salt_ * 0x9e3779b97f4a7c15ULL);
}

}  // namespace erc20::api
