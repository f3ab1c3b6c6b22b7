// bench/scale: the mainnet-shaped scale benchmark of issue #13.
//
// A forked child generates the chain of bench/scale_chain.hpp block by block
// and writes it as eth_getLogs answers (JSON, the way a node answers, cut at
// 10,000 logs as a provider's cap) into a pipe; so neither its CPU nor its
// memory is in this process's figures (it reports its own). This process
// replays them as the daemon's backfill does: a decode thread runs
// rpc::decode_logs, indexer::extract_transfer and the sort on each answer;
// the main thread merges them with indexer::BatchWriter, whose writer thread
// calls storage::Store::apply (bulk mode) into a fresh database at --db. At
// 1M, 10M and 100M transfers (those within --transfers) and at the end it
// pauses and runs the queries of bench/scale_queries.hpp through
// api::Router; at the end it runs Store::end_bulk (bulk mode off, no
// compaction: the daemon's step before following) first, runs the queries
// and the check while the background compactions pay the debt, polls
// Store::settle_compactions until the debt is paid (--settle-cap-s), and
// checks again. Then it prints the table.
//
// Usage: scale [--transfers N] [--seed S] --db DIR [--queries N] [--query-budget-s S]
// See docs/performance.md ("The scale benchmark").

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "api/routes.hpp"
#include "bench/bench_common.hpp"
#include "bench/range_queue.hpp"
#include "bench/scale_chain.hpp"
#include "bench/scale_queries.hpp"
#include "common/hex.hpp"
#include "indexer/batch_writer.hpp"
#include "indexer/extract.hpp"
#include "indexer/fetch.hpp"
#include "rpc/decode.hpp"
#include "storage/store.hpp"

namespace fs = std::filesystem;
using namespace erc20;
using namespace erc20::bench;

namespace {

struct Options {
    ChainShape shape;
    std::string db;
    size_t queries{300};
    double query_budget_s{15};
    double settle_cap_s{3600};
    uint64_t write_batch_mb{storage::kDefaultWriteBatchBytes >> 20};
};

[[noreturn]] void usage(int code) {
    std::fprintf(code == 0 ? stdout : stderr,
                 "usage: scale --db DIR [options]\n"
                 "  --transfers N        transfers to generate (default 100000000)\n"
                 "  --addresses N        addresses (default transfers/10, >= 10000)\n"
                 "  --tokens N           tokens (default transfers/5000, >= 50)\n"
                 "  --seed S             generator seed (default 1)\n"
                 "  --db DIR             fresh database folder (absent or empty), kept\n"
                 "  --queries N          most queries per kind (default 300)\n"
                 "  --query-budget-s S   seconds per query kind, at least 3 queries (default 15)\n"
                 "  --write-batch-mb N   as the daemon's option (default %zu)\n"
                 "  --settle-cap-s S     longest wait for the compaction debt after end_bulk "
                 "(default 3600)\n",
                 storage::kDefaultWriteBatchBytes >> 20);
    std::exit(code);
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") usage(0);
        if (i + 1 >= argc) usage(2);
        const char* v = argv[++i];
        char* end = nullptr;
        const double x = std::strtod(v, &end);
        const bool number = end != v && *end == '\0' && x >= 0;
        if (a == "--db") {
            o.db = v;
            continue;
        }
        if (!number) usage(2);
        if (a == "--transfers") o.shape.transfers = static_cast<uint64_t>(x);
        else if (a == "--addresses")
            o.shape.addresses = static_cast<uint64_t>(x);
        else if (a == "--tokens")
            o.shape.tokens = static_cast<uint32_t>(x);
        else if (a == "--seed")
            o.shape.seed = static_cast<uint64_t>(x);
        else if (a == "--queries")
            o.queries = static_cast<size_t>(x);
        else if (a == "--query-budget-s")
            o.query_budget_s = x;
        else if (a == "--write-batch-mb")
            o.write_batch_mb = static_cast<uint64_t>(x);
        else if (a == "--settle-cap-s")
            o.settle_cap_s = x;
        else
            usage(2);
    }
    o.shape = scaled(o.shape);
    if (o.db.empty() || o.shape.transfers == 0 || o.shape.tokens < 2 || o.write_batch_mb == 0)
        usage(2);
    return o;
}

// ---- the pipe between the generator and the replay

struct FrameHeader {
    uint64_t from, to, logs, transfers, body_len;
};
constexpr uint64_t kEndFrame = ~uint64_t{0};
constexpr uint64_t kMaxLogsPerAnswer = 10'000;  // a provider's cap

void write_all(int fd, const void* p, size_t n) {
    const auto* c = static_cast<const char*>(p);
    while (n > 0) {
        const ssize_t w = ::write(fd, c, n);
        if (w <= 0) throw std::runtime_error("pipe write failed");
        c += w;
        n -= static_cast<size_t>(w);
    }
}
bool read_all(int fd, void* p, size_t n) {
    auto* c = static_cast<char*>(p);
    while (n > 0) {
        const ssize_t r = ::read(fd, c, n);
        if (r <= 0) return false;
        c += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// The child: answers of whole blocks up to kMaxLogsPerAnswer logs, then the
// end frame with the generator's figures as "key value" lines.
void generate(const ChainShape& shape, int fd) {
    ChainGenerator g(shape);
    std::string body;
    GenBlock b, next;
    bool have = g.next_block(next);
    while (have) {
        FrameHeader h{next.number, next.number, 0, 0, 0};
        body.assign(R"({"jsonrpc":"2.0","id":1,"result":[)");
        bool first = true;
        while (have && (h.logs == 0 || h.logs + next.logs.size() <= kMaxLogsPerAnswer)) {
            std::swap(b, next);
            append_logs_json(body, g, b, first);
            h.to = b.number;
            h.logs += b.logs.size();
            h.transfers += b.transfers;
            have = g.next_block(next);
        }
        body += "]}";
        h.body_len = body.size();
        write_all(fd, &h, sizeof h);
        write_all(fd, body.data(), body.size());
    }
    const auto& s = g.stats();
    const uint32_t mid = std::min<uint32_t>(g.shape().tokens - 1, 20);
    std::ostringstream f;
    f << "blocks " << s.blocks << "\nlogs " << s.logs << "\nnft_logs " << s.nft_logs << "\nmints "
      << s.mints << "\nburns " << s.burns << "\nzero_value " << s.zero_value << "\nself " << s.self
      << "\nwhole_balance " << s.whole_balance << "\nempty_sender " << s.empty_sender
      << "\ntop_transfers " << s.top_token_transfers << "\nmax_block " << s.max_block_transfers
      << "\ntop_holders " << g.holders(0) << "\nmid_holders " << g.holders(mid) << "\nmid " << mid
      << "\npairs " << g.balance_pairs() << "\nstate_bytes " << g.state_bytes() << "\nhwm_kib "
      << proc_status_kib("VmHWM") << "\ncpu_s " << cpu_seconds() << "\n";
    for (int i = 0; i < 16; ++i) {  // sample balances of hot holders of the top token
        GenLog l;
        l.units = g.balance_units(0, static_cast<uint32_t>(i));
        f << "balance" << i << ' ' << to_dec_string(u256_from_be(g.amount_word(l))) << "\n";
    }
    body = f.str();
    FrameHeader end{kEndFrame, 0, 0, 0, body.size()};
    write_all(fd, &end, sizeof end);
    write_all(fd, body.data(), body.size());
}

// ---- decoding (a fetch worker's part, indexer/fetch.cpp)

indexer::FetchedRange decode(simdjson::ondemand::parser& parser, const FrameHeader& h,
                             std::string& body, uint64_t seed) {
    auto logs = rpc::decode_logs(parser, body);
    if (!logs) throw std::runtime_error("decode: " + logs.error().to_string());
    indexer::FetchedRange r;
    r.from = h.from;
    r.to = h.to;
    r.log_count = logs->size();
    r.transfers.reserve(logs->size());
    for (const auto& log : *logs) {
        if (auto t = indexer::extract_transfer(log)) r.transfers.push_back(*t);
    }
    std::sort(r.transfers.begin(), r.transfers.end(), [](const auto& x, const auto& y) {
        return std::tie(x.block_num, x.log_index) < std::tie(y.block_num, y.log_index);
    });
    if (r.transfers.size() != h.transfers) throw std::runtime_error("extracted count differs");
    r.headers.reserve(h.to - h.from + 1);
    for (BlockNum n = h.from; n <= h.to; ++n) {
        r.headers.push_back(
            {n, chain_block_hash(seed, n), chain_block_hash(seed, n - 1), chain_block_time(n), {}});
    }
    return r;
}

// Decodes the child's frames into `q` until its end frame, whose body (the
// generator's figures) goes to `child_stats`.
void decode_loop(int fd, uint64_t seed, RangeQueue& q, std::string& child_stats) {
    simdjson::ondemand::parser parser;
    std::string body;
    FrameHeader h{};
    while (read_all(fd, &h, sizeof h)) {
        body.resize(h.body_len);
        body.reserve(h.body_len + simdjson::SIMDJSON_PADDING);
        if (!read_all(fd, body.data(), body.size())) throw std::runtime_error("short frame");
        if (h.from == kEndFrame) {
            child_stats = body;
            return;
        }
        if (!q.push(decode(parser, h, body, seed))) return;
    }
}

// ---- the run

struct Checkpoint {
    uint64_t transfers{0};
    double active_s{0};  // replay time so far, pauses excluded
    uint64_t hwm_kib{0};
    uint64_t db_bytes{0};
    double end_bulk_s{-1};           // the final one only
    uint64_t db_bytes_compacted{0};  // once the debt is paid (or at the cap)
    std::vector<QueryFigure> queries;
};

// The compaction debt after end_bulk, sampled every 100 ms on a thread of
// its own (as the daemon's polls, but more often) while the queries run:
// the most level-0 files of a family and pending compaction bytes seen,
// when Store::settle_compactions put every family's triggers back to the
// defaults, and when no compaction was pending or running any more.
struct Settling {
    uint64_t max_l0{0};
    uint64_t max_pending{0};
    double settled_s{-1};    // triggers at the defaults
    double quiescent_s{-1};  // nothing pending, nothing running
    bool capped{false};
};

class SettleWatch {
  public:
    SettleWatch(storage::Store& store, double cap_s)
        : thread_([this, &store, cap_s](const std::stop_token& stop) { run(stop, store, cap_s); }) {
    }
    // Waits until the debt is paid and the compactions are done (or the cap).
    Settling wait() {
        thread_.join();
        return s_;
    }

  private:
    void run(const std::stop_token& stop, storage::Store& store, double cap_s) {
        const auto t0 = Clock::now();
        while (!stop.stop_requested()) {
            const auto c = store.compaction_stats();
            s_.max_l0 = std::max(s_.max_l0, c.level0_files);
            s_.max_pending = std::max(s_.max_pending, c.pending_bytes);
            if (s_.settled_s < 0 && store.settle_compactions()) s_.settled_s = seconds_since(t0);
            if (s_.settled_s >= 0 && c.pending_bytes == 0 && c.running == 0) {
                s_.quiescent_s = seconds_since(t0);
                return;
            }
            if (seconds_since(t0) > cap_s) {
                s_.capped = true;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    Settling s_;
    std::jthread thread_;  // last: started once s_ exists
};

class Run {
  public:
    explicit Run(const Options& o) : o_(o) {}
    int main();

  private:
    void replay(int fd);
    void checkpoint(bool last);
    int check(const char* when);
    void print_table() const;
    std::unordered_map<std::string, std::string> child_stats() const;
    void report_tenth() const;

    const Options& o_;
    std::unique_ptr<storage::Store> store_;
    std::vector<uint64_t> marks_;       // checkpoint transfer counts
    std::vector<double> tenth_s_;       // active time at each tenth (first batch past it)
    std::vector<uint64_t> tenth_done_;  // transfers applied then
    std::vector<Checkpoint> checkpoints_;
    uint64_t bulk_max_l0_{0};  // level-0 files of a family, sampled after every batch
    Settling settling_;
    int failures_{0};
    Clock::time_point t0_;
    double paused_s_{0};
    std::string child_stats_;  // written by the decode thread, read after it is joined
    double decode_cpu_{0};
    double run_cpu_{0};
};

double active_since(Clock::time_point t0, double paused) { return seconds_since(t0) - paused; }

void Run::checkpoint(bool last) {
    const auto p0 = Clock::now();
    Checkpoint c;
    c.transfers = store_->view().totals().transfers;
    c.active_s = active_since(t0_, paused_s_);
    c.hwm_kib = proc_status_kib("VmHWM");
    c.db_bytes = store_->size_bytes();
    std::printf("checkpoint at %" PRIu64
                " transfers: %.1f s, %.0f transfers/s so far, VmHWM %s, "
                "%.1f bytes/transfer (bulk, uncompacted)\n",
                c.transfers, c.active_s, static_cast<double>(c.transfers) / c.active_s,
                human_bytes(static_cast<double>(c.hwm_kib) * 1024).c_str(),
                static_cast<double>(c.db_bytes) / static_cast<double>(c.transfers));
    std::optional<SettleWatch> watch;
    if (last) {
        const auto before = store_->compaction_stats();
        const auto e0 = Clock::now();
        store_->end_bulk();
        c.end_bulk_s = seconds_since(e0);
        watch.emplace(*store_, o_.settle_cap_s);
        std::printf("  end_bulk (last batch to following, no compaction): %.3f s; debt: %" PRIu64
                    " level-0 files in a family at most, %s pending compaction bytes; the "
                    "queries and the check run while it is paid\n",
                    c.end_bulk_s, before.level0_files,
                    human_bytes(static_cast<double>(before.pending_bytes)).c_str());
        failures_ += check("during the compactions");
    }
    const auto cursor = store_->cursor();
    api::Router router(*store_,
                       [&] {
                           api::NodeStatus s;
                           s.node_block = cursor ? cursor->block_num : 0;
                           s.state = "following";
                           return s;
                       },
                       {});
    QueryPlan plan{o_.shape.seed,     o_.shape.addresses, kScaleStartBlock,
                   cursor->block_num, o_.queries,         o_.query_budget_s};
    const uint32_t mid = std::min<uint32_t>(o_.shape.tokens - 1, 20);
    c.queries = run_queries(router, plan, token_address(o_.shape.seed, 0),
                            token_address(o_.shape.seed, mid));
    print_queries(c.queries);
    if (watch) {
        settling_ = watch->wait();
        c.db_bytes_compacted = store_->size_bytes();
        c.hwm_kib = proc_status_kib("VmHWM");
        std::printf("  compaction debt after end_bulk: max %" PRIu64
                    " level-0 files in a family (max %" PRIu64
                    " during bulk mode), max %s pending; triggers back to the defaults after "
                    "%.1f s, no compaction pending or running after %.1f s%s; %.1f "
                    "bytes/transfer\n",
                    settling_.max_l0, bulk_max_l0_,
                    human_bytes(static_cast<double>(settling_.max_pending)).c_str(),
                    settling_.settled_s, settling_.quiescent_s,
                    settling_.capped ? " (CAPPED: --settle-cap-s)" : "",
                    static_cast<double>(c.db_bytes_compacted) / static_cast<double>(c.transfers));
        std::printf("  bytes/transfer per family:");
        for (const auto& [name, bytes] : store_->family_bytes()) {
            if (bytes > 0)
                std::printf(" %s %.1f", name.c_str(),
                            static_cast<double>(bytes) / static_cast<double>(c.transfers));
        }
        std::printf("\n");
        failures_ += check("after the compactions");
    }
    checkpoints_.push_back(std::move(c));
    if (!last) paused_s_ += seconds_since(p0);
}

// The generator's own counts against the database's.
int Run::check(const char* when) {
    auto s = child_stats();
    int failures = 0;
    auto view = store_->view();
    const uint32_t mid = std::min<uint32_t>(o_.shape.tokens - 1, 20);
    const auto top = view.token_stats(token_address(o_.shape.seed, 0));
    const auto mids = view.token_stats(token_address(o_.shape.seed, mid));
    if (!top || std::to_string(top->holders) != s["top_holders"]) ++failures;
    if (!mids || std::to_string(mids->holders) != s["mid_holders"]) ++failures;
    if (view.totals().transfers != o_.shape.transfers) ++failures;
    if (!top || !mids || top->negative_balances + mids->negative_balances != 0) ++failures;
    for (uint32_t i = 0; i < 16; ++i) {
        const auto got = to_dec_string(
            view.balance(token_address(o_.shape.seed, 0), account_address(o_.shape.seed, i)));
        if (got != s["balance" + std::to_string(i)]) ++failures;
    }
    std::printf(
        "check %s: %s (transfers; holders and negative balances of the top and mid "
        "token; 16 balances of the top token's hot holders)\n",
        when, failures == 0 ? "ok" : "FAILED");
    return failures;
}

void Run::replay(int fd) {
    const size_t limit = indexer::batch_limit(static_cast<size_t>(o_.write_batch_mb << 20));
    RangeQueue q(2 * limit);
    indexer::BatchWriter writer(*store_, static_cast<size_t>(o_.write_batch_mb << 20), 256, {});
    DecodeThread decoder(q, [&](RangeQueue& queue) {
        decode_loop(fd, o_.shape.seed, queue, child_stats_);
        decode_cpu_ = thread_cpu_seconds();
    });
    const uint64_t n = o_.shape.transfers;
    size_t next_mark = 0;
    t0_ = Clock::now();
    while (auto r = q.pop()) {
        writer.add(std::move(*r), ~BlockNum{0} >> 1);
        if (!writer.should_hand_over(q.more())) continue;
        writer.finish();
        writer.flush();
        bulk_max_l0_ = std::max(bulk_max_l0_, store_->compaction_stats().level0_files);
        const uint64_t done = writer.stats().transfers;
        if (tenth_s_.size() < 10 && done >= n * (tenth_s_.size() + 1) / 10) {
            tenth_s_.push_back(active_since(t0_, paused_s_));
            tenth_done_.push_back(done);
            report_tenth();
        }
        if (next_mark < marks_.size() && done >= marks_[next_mark]) {
            writer.finish();
            ++next_mark;
            checkpoint(false);
        }
    }
    writer.flush();
    writer.finish();
    if (tenth_done_.empty() || tenth_done_.back() < writer.stats().transfers) {
        tenth_s_.push_back(active_since(t0_, paused_s_));
        tenth_done_.push_back(writer.stats().transfers);
    }
    run_cpu_ = cpu_seconds();
}

// A line as each tenth is passed: a 100M run takes hours, and its table
// comes only at the end.
void Run::report_tenth() const {
    const size_t i = tenth_s_.size() - 1;
    const double dt = tenth_s_[i] - (i ? tenth_s_[i - 1] : 0.0);
    const uint64_t dn = tenth_done_[i] - (i ? tenth_done_[i - 1] : 0);
    std::printf(
        "tenth %zu: %.2fM transfers after %.1f s, %.0f transfers/s in this tenth, VmHWM %s, "
        "%.1f bytes/transfer, %" PRIu64 " level-0 files at most\n",
        i + 1, static_cast<double>(tenth_done_[i]) / 1e6, tenth_s_[i], static_cast<double>(dn) / dt,
        human_bytes(static_cast<double>(proc_status_kib("VmHWM")) * 1024).c_str(),
        static_cast<double>(store_->size_bytes()) / static_cast<double>(tenth_done_[i]),
        static_cast<uint64_t>(bulk_max_l0_));
    std::fflush(stdout);
}

std::unordered_map<std::string, std::string> Run::child_stats() const {
    std::unordered_map<std::string, std::string> m;
    std::istringstream f(child_stats_);
    std::string k, v;
    while (f >> k >> v) m[k] = v;
    return m;
}

void Run::print_table() const {
    std::printf(
        "\ntransfers/s per tenth of the run (at the first batch written past each tenth; pauses "
        "for queries excluded)\n ");
    double prev = 0;
    uint64_t prev_done = 0;
    for (size_t i = 0; i < tenth_s_.size(); ++i) {
        const double dt = tenth_s_[i] - prev;
        std::printf(" %.2fM: %.0f", static_cast<double>(tenth_done_[i]) / 1e6,
                    static_cast<double>(tenth_done_[i] - prev_done) / dt);
        prev = tenth_s_[i];
        prev_done = tenth_done_[i];
    }
    std::printf("\n\n%14s %12s %14s %12s %14s %16s %12s\n", "transfers", "replay s", "transfers/s",
                "VmHWM", "bytes/tr bulk", "bytes/tr settled", "end_bulk s");
    for (const auto& c : checkpoints_) {
        const double t = static_cast<double>(c.transfers);
        char compact[32] = "-", end_bulk[32] = "-";
        if (c.end_bulk_s >= 0) {
            std::snprintf(compact, sizeof compact, "%.1f",
                          static_cast<double>(c.db_bytes_compacted) / t);
            std::snprintf(end_bulk, sizeof end_bulk, "%.1f", c.end_bulk_s);
        }
        std::printf("%14" PRIu64 " %12.1f %14.0f %12s %14.1f %16s %12s\n", c.transfers, c.active_s,
                    t / c.active_s, human_bytes(static_cast<double>(c.hwm_kib) * 1024).c_str(),
                    static_cast<double>(c.db_bytes) / t, compact, end_bulk);
    }
    for (const auto& c : checkpoints_) {
        std::printf("\nqueries at %" PRIu64 " transfers%s\n", c.transfers,
                    c.end_bulk_s >= 0 ? " (after end_bulk, while the compactions run)"
                                      : " (bulk mode, uncompacted)");
        print_queries(c.queries);
    }
    std::printf("\ncompaction after end_bulk: max level-0 files %" PRIu64 " (bulk mode %" PRIu64
                "), max pending %s, settled %.1f s, quiescent %.1f s%s\n",
                settling_.max_l0, bulk_max_l0_,
                human_bytes(static_cast<double>(settling_.max_pending)).c_str(),
                settling_.settled_s, settling_.quiescent_s, settling_.capped ? " (capped)" : "");
}

int Run::main() {
    if (fs::exists(o_.db) && !fs::is_empty(o_.db))
        throw std::runtime_error("--db " + o_.db + " exists and is not empty");
    for (uint64_t m : {1'000'000ULL, 10'000'000ULL, 100'000'000ULL, 1'000'000'000ULL}) {
        if (m < o_.shape.transfers) marks_.push_back(m);
    }
    std::printf("erc20-indexer scale benchmark: %" PRIu64 " transfers, %" PRIu64
                " addresses, %u tokens, seed %" PRIu64 "\n  machine: %u cores, %s\n",
                o_.shape.transfers, o_.shape.addresses, o_.shape.tokens, o_.shape.seed,
                std::thread::hardware_concurrency(), cpu_model().c_str());
    std::fflush(stdout);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        int code = 0;
        try {
            generate(o_.shape, fds[1]);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "scale: generator: %s\n", e.what());
            code = 1;
        }
        _exit(code);
    }
    ::close(fds[1]);
    store_ = storage::Store::open(o_.db, storage::StoreOptions{});
    store_->bind_chain(1);
    store_->begin_bulk();
    replay(fds[0]);
    ::close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("generator failed");
    auto s = child_stats();
    const double total_s = active_since(t0_, paused_s_);
    std::printf("\nreplayed %" PRIu64
                " transfers in %.1f s = %.0f transfers/s (pauses excluded); "
                "decode thread %.1f CPU-s, process %.1f CPU-s (queries included)\n",
                o_.shape.transfers, total_s, static_cast<double>(o_.shape.transfers) / total_s,
                decode_cpu_, run_cpu_);
    std::printf(
        "chain: %s blocks (max %s transfers), %s logs (%s ERC721), %s mints, %s burns, "
        "%s zero-value, %s self, %s whole-balance, %s empty-sender mints\n"
        "       top token %s transfers (%.1f%%), %s holders; mid token #%s %s holders; "
        "%s positive pairs\n"
        "generator (child process): state %s, VmHWM %s, %s CPU-s\n",
        s["blocks"].c_str(), s["max_block"].c_str(), s["logs"].c_str(), s["nft_logs"].c_str(),
        s["mints"].c_str(), s["burns"].c_str(), s["zero_value"].c_str(), s["self"].c_str(),
        s["whole_balance"].c_str(), s["empty_sender"].c_str(), s["top_transfers"].c_str(),
        100.0 * std::stod(s["top_transfers"]) / static_cast<double>(o_.shape.transfers),
        s["top_holders"].c_str(), s["mid"].c_str(), s["mid_holders"].c_str(), s["pairs"].c_str(),
        human_bytes(std::stod(s["state_bytes"])).c_str(),
        human_bytes(std::stod(s["hwm_kib"]) * 1024).c_str(), s["cpu_s"].c_str());
    failures_ += check("in bulk mode");
    checkpoint(true);
    print_table();
    return failures_ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a long run's log shows each line as it comes
    try {
        return Run(o).main();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale: %s\n", e.what());
        return 1;
    }
}
