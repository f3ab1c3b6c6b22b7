// The options shared by the commands: the one table (config/settings.hpp).

#include <vector>

#include "config/settings.hpp"

namespace erc20::config {

// Every option: name, default (as text), help. All are read as text and
// validated by settings.cpp, so that "-1" never wraps into a huge unsigned number.
std::span<const OptionSpec> option_table() {
    static const std::vector<OptionSpec> options{
        {"rpc-url", "http://127.0.0.1:8545", "JSON-RPC URL of the Ethereum node"},
        {"db", "./data", "RocksDB folder (created if missing)"},
        {"listen", "127.0.0.1:8547", "HOST:PORT of the HTTP query API"},
        {"start-block", "0", "first block to index in a new database"},
        {"confirmations", "0", "stay this many blocks behind the node's head"},
        {"poll-interval-ms", "2000", "how often to ask the node for new blocks once at the head"},
        {"reorg-window", "256", "recent block hashes kept to detect and undo reorgs"},
        {"tokens", "", "comma-separated token addresses to index (default: every token)"},
        {"admin-token-file", "",
         "file holding the admin API bearer token (admin API off unless set)"},
        {"read-token-file", "",
         "file of read tokens, one per line as NAME:TOKEN or TOKEN (at least 16 characters): /v1 "
         "and /metrics then need Authorization: Bearer TOKEN; re-read on SIGHUP"},
        {"public", "false",
         "true: serve an open API (no read tokens) on an address that is not loopback", false,
         "true"},
        {"rate-limit", "",
         "requests per client (read token, or peer address without tokens) to /v1 and /metrics, "
         "as N/s or N/min; beyond, 429 with Retry-After (empty: no limit)"},
        {"rate-burst", "0",
         "requests a client may make at once above --rate-limit (0: one second's)"},
        {"max-expensive-concurrency", "0",
         "exports, distributions, historical holders, series and flows answered at once; more wait "
         "up to 10 s, then get 429 (0: the HTTP threads minus one)"},
        {"max-connections", "512",
         "HTTP connections open at once; beyond, the longest idle one is closed"},
        {"max-connections-per-peer", "64",
         "HTTP connections open at once from one address; beyond, its longest idle one is closed"},
        {"write-timeout-ms", "30000",
         "an answer whose sending makes no progress for this long is cut (slow readers)"},
        {"cors-origin", "",
         "an origin (scheme://host[:port], or *) whose browser pages may read the query API; "
         "repeatable or comma-separated; never the admin API",
         true},
        {"labels", "",
         "CSV file of address labels (header token,address,category,label; token * for every "
         "token), re-read on SIGHUP"},
        {"non-circulating", "burn,treasury,team,vesting,locked,reserve",
         "label categories whose balances are out of circulating_supply (comma-separated; empty: "
         "none)"},
        {"log-level", "info", "trace, debug, info, warn or error"},
        {"log-format", "text", "text or json"},
        {"max-range", "2000",
         "most blocks per eth_getLogs request (shrinks when the node refuses)"},
        {"fetch-workers", "4", "block ranges fetched in parallel during backfill"},
        {"rpc-timeout-ms", "30000", "timeout of one JSON-RPC call"},
        {"rpc-max-backoff-ms", "30000",
         "longest wait between retries of a failed call (exponential with jitter from 200 ms)"},
        {"ready-max-lag", "64", "/readyz answers 503 while the lag exceeds this many blocks"},
        {"cache-mb", "256", "RocksDB block cache, MiB"},
        {"query-cache-mb", "64", "the API's distribution answers and flows lists, MiB; 0: none"},
        {"memtable-mb", "256", "RocksDB write buffers of all column families together, MiB"},
        {"write-batch-mb", "128",
         "during backfill, consecutive ranges are written together in batches of up to this many "
         "MiB"},
        {"ingest-min-transfers", "20000",
         "a batch of at least this many transfers is written as table files ingested into RocksDB "
         "instead of through its memtables"},
    };
    return options;
}

}  // namespace erc20::config
