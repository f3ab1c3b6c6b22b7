#include "api/operations_routes.hpp"

#include <type_traits>

#include "api/admin_job.hpp"
#include "api/memory_metrics.hpp"
#include "api/process_metrics.hpp"
#include "api/query_caches.hpp"
#include "common/hex.hpp"
#include "common/metrics.hpp"

namespace erc20::api {
namespace {

// erc20_state{state} (1 for the current state, 0 for every other) and erc20_build_info.
std::string state_metrics(const std::string& current, const RouterOptions& o) {
    std::string out =
        "# HELP erc20_state the indexer's state: 1 for the current one\n"
        "# TYPE erc20_state gauge\n";
    bool listed = false;
    for (const auto& st : o.states) {
        listed = listed || st == current;
        out += "erc20_state{state=\"" + st + "\"} " + (st == current ? "1" : "0") + "\n";
    }
    if (!listed) out += "erc20_state{state=\"" + current + "\"} 1\n";
    out +=
        "# HELP erc20_build_info the build: version, database schema, libraries\n"
        "# TYPE erc20_build_info gauge\nerc20_build_info{";
    std::string labels = "version=\"" + o.version + "\"";
    for (const auto& [k, v] : o.build_info) {
        if (k == "version") continue;
        labels.append(",").append(k).append("=\"").append(v).append("\"");
    }
    return out + labels + "} 1\n";
}

// "progress": a backfill's or reindex's figures, null while following.
void write_progress(JsonWriter& w, const std::optional<SyncProgress>& p) {
    if (!p) {
        w.field_null("progress");
        return;
    }
    w.key("progress").begin_object();
    w.field("from_block", p->from_block).field("target_block", p->target_block);
    w.field("blocks_per_s", p->blocks_per_s).field("transfers_per_s", p->transfers_per_s);
    w.field("eta_seconds", p->eta_seconds);
    w.end_object();
}

}  // namespace

Response serve_healthz(Call& c) { return c.with_route(Response{200, "{\"status\":\"ok\"}"}); }

Response serve_readyz(Call& c) {
    std::string reason;
    if (!c.head) reason = "nothing indexed yet";
    else if (c.node.node_block == 0)
        reason = "the node has not answered yet";
    else if (c.node.state == "error")
        reason = "ingestion stopped with an error (see the log)";
    else if (!c.node.node_reachable)
        reason = "the node is unreachable";
    else if (c.lag > c.options.ready_max_lag) {
        reason = "lag of " + std::to_string(c.lag) + " blocks exceeds --ready-max-lag " +
                 std::to_string(c.options.ready_max_lag);
    }
    if (!reason.empty()) return c.fail({503, "not_ready", reason});
    return c.with_route(
        Response{200, "{\"ready\":true,\"lag_blocks\":" + std::to_string(c.lag) + "}"});
}

Response serve_metrics_text(Call& c) {
    std::string out = metrics::registry().render();
    auto gauge = [&](const char* name, const char* help, auto v, const char* type = "gauge") {
        std::string value;
        if constexpr (std::is_floating_point_v<decltype(v)>) value = JsonWriter().number(v).str();
        else
            value = std::to_string(v);
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
               name + " " + value + "\n";
    };
    const auto& node = c.node;
    gauge("erc20_indexed_block", "last applied block", c.head ? c.head->block_num : 0);
    gauge("erc20_node_block", "the node's latest block", node.node_block);
    gauge("erc20_lag_blocks", "node block minus indexed block", c.lag);
    gauge("erc20_transfers_applied_total", "transfers applied since start", node.transfers_applied,
          "counter");
    gauge("erc20_reorgs_total", "reorgs undone since start", node.reorgs_total, "counter");
    gauge("erc20_deepest_reorg_blocks", "deepest reorg undone since start", node.deepest_reorg);
    gauge("erc20_node_reachable", "1 while the node answers", node.node_reachable ? 1 : 0);
    gauge("erc20_db_size_bytes", "database size on disk: table files and write-ahead logs",
          c.store.size_bytes());
    const auto compaction = c.store.compaction_stats();
    gauge("erc20_rocksdb_level0_files", "level-0 table files, most of any column family",
          compaction.level0_files);
    gauge("erc20_rocksdb_pending_compaction_bytes",
          "bytes RocksDB estimates its compactions still have to rewrite",
          compaction.pending_bytes);
    gauge("erc20_rocksdb_running_compactions", "compactions running now", compaction.running);
    const auto memory = c.store.memory();
    out += render_memory_metrics(memory);
    CacheCounters block_cache;
    block_cache.hits = memory.block_cache_hits;
    block_cache.misses = memory.block_cache_misses;
    block_cache.bytes = memory.block_cache;
    block_cache.entries = memory.block_cache_entries;
    out += c.caches.render_metrics(
        {CacheReport{"rocksdb_block", memory.block_cache_capacity, &block_cache, false}});
    auto totals = c.view->totals();
    gauge("erc20_tokens", "tokens indexed", totals.tokens);
    gauge("erc20_transfers", "transfers indexed", totals.transfers);
    // The head block's time: `time() - erc20_indexed_block_timestamp_seconds` is its age.
    if (auto t = c.head ? c.view->block_time(c.head->block_num) : std::nullopt)
        gauge("erc20_indexed_block_timestamp_seconds", "timestamp of the last applied block", *t);
    if (const auto& p = c.node.progress) {
        gauge("erc20_sync_target_block", "the block the running backfill or reindex runs to",
              p->target_block);
        gauge("erc20_sync_from_block", "the first block the running backfill or reindex applies",
              p->from_block);
        if (p->blocks_per_s)
            gauge("erc20_sync_blocks_per_second", "its pace, blocks per second", *p->blocks_per_s);
        if (p->eta_seconds)
            gauge("erc20_sync_eta_seconds", "its estimated seconds to the target", *p->eta_seconds);
    }
    out += state_metrics(c.node.state, c.options);
    out += render_process_metrics();
    return c.with_route(Response{200, std::move(out), "text/plain; version=0.0.4"});
}

Response serve_status(Call& c) {
    const auto& node = c.node;
    auto totals = c.view->totals();
    JsonWriter w;
    w.begin_object();
    if (auto chain = c.view->chain_id()) w.field("chain_id", *chain);
    else
        w.field_null("chain_id");
    write_block(w, *c.view);
    if (c.head) w.field("block_hash", to_hex(c.head->hash));
    else
        w.field_null("block_hash");
    // Unknown (null) until the node first answers after a start.
    if (node.node_block != 0) w.field("node_block", node.node_block).field("lag_blocks", c.lag);
    else
        w.field_null("node_block").field_null("lag_blocks");
    w.field("state", node.state);
    w.field("node_reachable", node.node_reachable);
    w.field("tokens", totals.tokens);
    w.field("transfers", totals.transfers);
    w.field("reorgs_total", node.reorgs_total);
    w.field("deepest_reorg", node.deepest_reorg);
    w.field("transfers_per_s", node.transfers_per_s);
    w.field("db_size_bytes", c.store.size_bytes());
    if (node.admin_job) write_admin_job(w.key("admin_job"), *node.admin_job);
    else
        w.field_null("admin_job");
    write_progress(w, node.progress);
    w.field("version", c.options.version);
    w.end_object();
    return c.finish(w, {});  // shows the node's live state too: its ETag hashes the body
}

}  // namespace erc20::api
