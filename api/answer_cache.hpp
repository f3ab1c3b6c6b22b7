#pragma once
// Answers kept across requests: an LRU map bounded in bytes. A key names
// everything its answer depends on (a token, a block, the store's history
// version, parameters), so a new head block never makes an entry wrong and
// nothing is invalidated: entries only age out. Thread-safe; computing a
// missing answer happens outside the lock, so two requests may compute the
// same answer once each.

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace erc20::api {

/// What a cache did, for /metrics.
struct CacheCounters {
    std::atomic<uint64_t> hits{0};
    std::atomic<uint64_t> misses{0};
    std::atomic<uint64_t> evictions{0};
    std::atomic<uint64_t> bytes{0};    // the entries' estimated sizes, keys included
    std::atomic<uint64_t> entries{0};  // entries held
};

template <class V>
class AnswerCache {
  public:
    using Ptr = std::shared_ptr<const V>;
    /// `size_of` estimates the memory an answer holds (its allocations
    /// included). A budget of 0 caches nothing.
    AnswerCache(std::string name, size_t budget_bytes, std::function<size_t(const V&)> size_of)
        : name_(std::move(name)), budget_(budget_bytes), size_of_(std::move(size_of)) {}
    AnswerCache(const AnswerCache&) = delete;
    AnswerCache& operator=(const AnswerCache&) = delete;

    /// The answer kept under `key`, marked most recently used; nullptr (a
    /// miss, counted) when none.
    Ptr find(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) {
            counters_.misses += 1;
            return nullptr;
        }
        counters_.hits += 1;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->value;
    }

    /// Keeps `value` under `key`, dropping the least recently used entries
    /// beyond the budget. An answer larger than the whole budget is not kept.
    void put(const std::string& key, Ptr value) {
        const size_t bytes = entry_bytes(key, *value);
        if (bytes > budget_) return;
        std::lock_guard lock(mutex_);
        if (auto it = index_.find(key); it != index_.end()) erase(it->second);
        lru_.push_front(Entry{key, std::move(value), bytes});
        index_.emplace(lru_.front().key, lru_.begin());
        used_ += bytes;
        while (used_ > budget_) {
            erase(std::prev(lru_.end()));
            counters_.evictions += 1;
        }
        publish();
    }

    /// find(), else `compute()` kept with put().
    template <class Compute>
    Ptr get_or_compute(const std::string& key, Compute&& compute) {
        if (Ptr hit = find(key)) return hit;
        Ptr computed = std::make_shared<const V>(compute());
        put(key, computed);
        return computed;
    }

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] size_t budget() const { return budget_; }
    [[nodiscard]] const CacheCounters& counters() const { return counters_; }

  private:
    struct Entry {
        std::string key;
        Ptr value;
        size_t bytes;
    };
    using List = std::list<Entry>;

    // The entry and its key, the list node's links, the hash node (its
    // key, iterator, link and hash) and bucket, the answer and its
    // allocations, make_shared's control block.
    size_t entry_bytes(const std::string& key, const V& value) const {
        return sizeof(Entry) + key.capacity() + 2 * sizeof(void*) + sizeof(std::string_view) +
               sizeof(typename List::iterator) + 3 * sizeof(void*) + sizeof(V) + size_of_(value) +
               2 * sizeof(void*);
    }
    // REQUIRES: mutex_ held.
    void erase(typename List::iterator it) {
        used_ -= it->bytes;
        index_.erase(it->key);
        lru_.erase(it);
    }
    void publish() {
        counters_.bytes = used_;
        counters_.entries = lru_.size();
    }

    const std::string name_;
    const size_t budget_;
    const std::function<size_t(const V&)> size_of_;
    std::mutex mutex_;
    List lru_;  // most recently used first
    std::unordered_map<std::string_view, typename List::iterator> index_;  // keys in lru_
    size_t used_{0};
    CacheCounters counters_;
};

/// One cache as /metrics shows it.
struct CacheReport {
    std::string_view name;
    size_t budget;
    const CacheCounters* counters;
    bool counts_evictions{true};  // RocksDB's block cache does not
};
template <class V>
CacheReport report_of(const AnswerCache<V>& c) {
    return {c.name(), c.budget(), &c.counters()};
}

/// The caches' families in the Prometheus text format, labelled
/// cache="name": erc20_cache_hits_total, erc20_cache_misses_total,
/// erc20_cache_evictions_total, erc20_cache_bytes, erc20_cache_entries,
/// erc20_cache_budget_bytes.
std::string render_cache_metrics(const std::vector<CacheReport>& caches);

}  // namespace erc20::api
