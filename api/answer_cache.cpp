#include "api/answer_cache.hpp"

namespace erc20::api {
namespace {

struct Family {
    const char* name;
    const char* help;
    const char* type;
    uint64_t (*value)(const CacheReport&);
    bool evictions{false};  // only for caches that count them
};
// The query caches hold answers; rocksdb_block, RocksDB's block cache, holds
// table blocks (--cache-mb).
const Family kFamilies[] = {
    {"erc20_cache_hits_total",
     "lookups a cache answered (query caches: answers; rocksdb_block: blocks)", "counter",
     [](const CacheReport& c) { return c.counters->hits.load(); }},
    {"erc20_cache_misses_total", "lookups a cache did not hold", "counter",
     [](const CacheReport& c) { return c.counters->misses.load(); }},
    {"erc20_cache_evictions_total", "answers dropped to keep a query cache in its budget",
     "counter", [](const CacheReport& c) { return c.counters->evictions.load(); }, true},
    {"erc20_cache_bytes", "estimated memory a cache holds", "gauge",
     [](const CacheReport& c) { return c.counters->bytes.load(); }},
    {"erc20_cache_entries", "entries a cache holds", "gauge",
     [](const CacheReport& c) { return c.counters->entries.load(); }},
    {"erc20_cache_budget_bytes", "a cache's budget (--query-cache-mb, --cache-mb)", "gauge",
     [](const CacheReport& c) { return uint64_t{c.budget}; }},
};

}  // namespace

std::string render_cache_metrics(const std::vector<CacheReport>& caches) {
    std::string out;
    for (const Family& f : kFamilies) {
        out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " +
               f.type + "\n";
        for (const CacheReport& c : caches) {
            if (f.evictions && !c.counts_evictions) continue;
            out += std::string(f.name) + "{cache=\"" + std::string(c.name) + "\"} " +
                   std::to_string(f.value(c)) + "\n";
        }
    }
    return out;
}

}  // namespace erc20::api
