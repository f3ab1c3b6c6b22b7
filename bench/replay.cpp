// bench/replay: the indexer's hot path on recorded-style eth_getLogs answers.
//
//  1. Generates (seeded, deterministic) JSON-RPC eth_getLogs response bodies
//     shaped like anvil's, into files in a work folder: ERC20 transfers of
//     Zipf-distributed tokens between Zipf-distributed holders, mints from the
//     zero address first so that balances stay mostly positive, 100-200
//     transfers per block, a range of blocks per answer, ~1% ERC721 Transfer
//     logs (which extraction must drop). Generation runs in a forked child
//     process, so neither its time nor its memory is measured.
//  2. Replays every answer through the real pipeline, threaded like the
//     daemon's backfill: a decode thread (the fetch workers' part) runs
//     rpc::decode_logs (one reused simdjson parser), indexer::extract_transfer
//     and the indexer's sort on each answer into an indexer::FetchedRange,
//     and hands them over a bounded queue (at most two write batches' worth
//     of transfers) to the main thread (the ingestion loop's part), which
//     merges them with the daemon's indexer::BatchWriter: its hand-over rule
//     (merge while more has arrived, hand over when the writer would wait
//     idle, when the batch holds --write-batch-mb / kApplyBytesPerTransfer
//     transfers, or after 2 s), and its writer thread calling
//     storage::Store::apply into a fresh RocksDB. --serial runs the same
//     stages one at a time instead (a batch handed over only when full), for
//     comparison.
//  3. Prints the run, transfers/s end to end (pipelined: wall time from the
//     first decode to the end of the last apply) and per stage with each
//     thread's CPU time, peak RSS, and the database size per transfer before
//     and after Store::compact(); then checks a sample of balances and
//     counters against the generator's.
//
// Usage: replay [--transfers N] [--holders N] [--tokens N] [--seed S] [--db DIR]
//               [--blocks-per-answer N] [--write-batch-mb N] [--serial]
//               [--quick] [--no-compact] [--keep]
// See docs/performance.md.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/version.h>
#include <simdjson.h>

#include "bench/bench_common.hpp"
#include "bench/range_queue.hpp"
#include "common/hex.hpp"
#include "common/types.hpp"
#include "indexer/batch_writer.hpp"
#include "indexer/extract.hpp"
#include "indexer/fetch.hpp"
#include "rpc/decode.hpp"
#include "rpc/types.hpp"
#include "storage/store.hpp"

namespace fs = std::filesystem;
using erc20::Address;
using erc20::BlockNum;
using erc20::Hash;
using erc20::bench::append_data;
using erc20::bench::append_quantity;
using erc20::bench::append_topic_address;
using erc20::bench::Clock;
using erc20::bench::cpu_model;
using erc20::bench::cpu_seconds;
using erc20::bench::DecodeThread;
using erc20::bench::fill_bytes;
using erc20::bench::human_bytes;
using erc20::bench::peak_rss_kib;
using erc20::bench::RangeQueue;
using erc20::bench::Rng;
using erc20::bench::seconds_since;
using erc20::bench::splitmix64;
using erc20::bench::thread_cpu_seconds;
using erc20::bench::U128;
using erc20::bench::Zipf;

namespace {

// ---------------------------------------------------------------------------
// Options

struct Options {
    uint64_t transfers{1'000'000};
    uint64_t holders{100'000};
    uint32_t tokens{50};
    uint64_t seed{1};
    std::string db;  // empty: <work>/db, removed at the end
    uint32_t blocks_per_answer{30};
    uint64_t write_batch_mb{erc20::storage::kDefaultWriteBatchBytes >> 20};
    bool serial{false};  // decode and apply on one thread
    bool bulk{true};     // Store::begin_bulk, as the daemon's backfill
    bool quick{false};
    bool compact{true};
    bool keep{false};  // keep the work folder (answers and database)
};

[[noreturn]] void usage(int code) {
    std::fprintf(
        code == 0 ? stdout : stderr,
        "usage: replay [options]\n"
        "  --transfers N          ERC20 transfers to generate and replay (default 1000000)\n"
        "  --holders N            holder addresses (default 100000)\n"
        "  --tokens N             token contracts (default 50)\n"
        "  --seed S               generator seed (default 1)\n"
        "  --db DIR               database folder, must be absent or empty; kept at the end\n"
        "                         (default: a temporary folder, removed at the end)\n"
        "  --blocks-per-answer N  blocks per eth_getLogs answer (default 30: ~4,500 transfers,\n"
        "                         ~3.4 MB of JSON)\n"
        "  --write-batch-mb N     limit of one Store::apply batch, as the daemon's option: "
        "consecutive\n"
        "                         answers merge until a batch holds N MiB / "
        "kApplyBytesPerTransfer\n"
        "                         transfers (the daemon's BatchWriter; default %zu)\n"
        "  --serial               decode, batch and apply on one thread (default: decode on a\n"
        "                         second thread, batch and apply on the main thread, like the "
        "daemon)\n"
        "  --no-bulk              keep RocksDB's automatic compactions on during the replay "
        "(default:\n"
        "                         Store::begin_bulk defers them, as the daemon's backfill does)\n"
        "  --quick                100000 transfers (smoke run)\n"
        "  --no-compact           skip Store::compact() at the end\n"
        "  --keep                 keep the temporary folder (answers and database)\n",
        erc20::storage::kDefaultWriteBatchBytes >> 20);
    std::exit(code);
}

uint64_t parse_u64(const char* name, const char* v) {
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '-') {
        std::fprintf(stderr, "replay: bad value for %s: '%s'\n", name, v);
        std::exit(2);
    }
    return x;
}

Options parse_options(int argc, char** argv) {
    Options o;
    bool transfers_set = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "replay: %s needs a value\n", argv[i]);
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") usage(0);
        else if (a == "--transfers") {
            o.transfers = parse_u64("--transfers", next());
            transfers_set = true;
        } else if (a == "--holders")
            o.holders = parse_u64("--holders", next());
        else if (a == "--tokens")
            o.tokens = static_cast<uint32_t>(parse_u64("--tokens", next()));
        else if (a == "--seed")
            o.seed = parse_u64("--seed", next());
        else if (a == "--db")
            o.db = next();
        else if (a == "--blocks-per-answer")
            o.blocks_per_answer = static_cast<uint32_t>(parse_u64("--blocks-per-answer", next()));
        else if (a == "--write-batch-mb")
            o.write_batch_mb = parse_u64("--write-batch-mb", next());
        else if (a == "--serial")
            o.serial = true;
        else if (a == "--no-bulk")
            o.bulk = false;
        else if (a == "--quick")
            o.quick = true;
        else if (a == "--no-compact")
            o.compact = false;
        else if (a == "--keep")
            o.keep = true;
        else {
            std::fprintf(stderr, "replay: unknown option '%s'\n", argv[i]);
            usage(2);
        }
    }
    if (o.quick && !transfers_set) o.transfers = 100'000;
    if (o.transfers == 0 || o.holders < 2 || o.tokens == 0 || o.blocks_per_answer == 0 ||
        o.write_batch_mb == 0 || o.write_batch_mb > (uint64_t{1} << 20)) {
        std::fprintf(
            stderr,
            "replay: --transfers, --tokens and --blocks-per-answer must be > 0, --holders >= 2, "
            "--write-batch-mb in 1..1048576\n");
        std::exit(2);
    }
    return o;
}

constexpr uint64_t kTokenSalt = 0x70c3000000000000ULL;
constexpr uint64_t kHolderSalt = 0x401d000000000000ULL;
constexpr uint64_t kBlockSalt = 0xb10c000000000000ULL;
constexpr BlockNum kStartBlock = 18'000'000;      // mainnet-sized block numbers
constexpr uint64_t kGenesisTime = 1'690'000'000;  // block kStartBlock's timestamp
constexpr uint64_t kReorgWindow = 256;            // the daemon's default --reorg-window

Address token_address(uint64_t seed, uint64_t i) {
    Address a;
    fill_bytes(a.bytes, splitmix64(seed ^ kTokenSalt) + i * 1000003);
    return a;
}
Address holder_address(uint64_t seed, uint64_t i) {
    Address a;
    fill_bytes(a.bytes, splitmix64(seed ^ kHolderSalt) + i * 1000003);
    return a;
}
Hash block_hash(uint64_t seed, BlockNum n) {
    Hash h;
    fill_bytes(h.bytes, splitmix64(seed ^ kBlockSalt) + n * 1000003);
    return h;
}
uint64_t block_time(BlockNum n) { return kGenesisTime + 12 * (n - kStartBlock); }

std::array<uint8_t, 32> word_of(U128 v) {
    std::array<uint8_t, 32> w{};
    for (int i = 31; i >= 16; --i) {
        w[static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xff);
        v >>= 8;
    }
    return w;
}
std::string dec_of(U128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v != 0) {
        s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    std::reverse(s.begin(), s.end());
    return s;
}

// ---------------------------------------------------------------------------
// The generator (runs in a child process)

constexpr uint64_t kZero = ~uint64_t{0};  // the zero address, as a holder index
constexpr uint64_t kHot = 64;             // ranks shared by every token (exchanges, routers)

struct GenTransfer {
    uint32_t token;
    uint64_t from;  // holder index or kZero
    uint64_t to;
    U128 amount;
};

class Generator {
  public:
    explicit Generator(const Options& o)
        : o_(o),
          rng_(o.seed),
          token_zipf_(o.tokens, 1.1),
          holder_zipf_(o.holders, 1.0),
          per_token_(o.tokens),
          touched_(o.holders, 0) {
        for (uint32_t t = 0; t < o.tokens; ++t) {
            tokens_.push_back(token_address(o.seed, t));
            auto& pt = per_token_[t];
            do {
                pt.perm_a = 1 + rng_.below(o.holders - 1);
            } while (std::gcd(pt.perm_a, o.holders) != 1);
            pt.perm_b = rng_.below(o.holders);
            const double d = rng_.unit();
            pt.decimals = d < 0.8 ? 18 : d < 0.95 ? 6 : 8;
        }
        for (uint64_t h = 0; h < o.holders; ++h) holders_.push_back(holder_address(o.seed, h));
        // Mints first: a tenth of the transfers (at least one per token).
        mint_phase_ = std::max<uint64_t>(o.tokens, o.transfers / 10);
        balances_.reserve(static_cast<size_t>(std::min<uint64_t>(o.transfers, 4'000'000)));
    }

    // Writes answers/NNNNNN.json, index.txt, expected.txt and stats.txt into `dir`.
    void run(const fs::path& dir) {
        fs::create_directories(dir / "answers");
        std::ofstream index(dir / "index.txt");
        BlockNum block = kStartBlock;
        BlockNum answer_from = block;
        uint64_t answer_no = 0;
        std::string body;
        body.reserve(8u << 20);
        uint64_t logs_in_answer = 0;
        uint64_t transfers_in_answer = 0;
        auto start_answer = [&] {
            body.assign(R"({"jsonrpc":"2.0","id":1,"result":[)");
            logs_in_answer = 0;
            transfers_in_answer = 0;
        };
        auto flush_answer = [&](BlockNum last) {
            body += "]}";
            char name[32];
            std::snprintf(name, sizeof name, "%06" PRIu64 ".json", answer_no++);
            std::ofstream f(dir / "answers" / name, std::ios::binary);
            f.write(body.data(), static_cast<std::streamsize>(body.size()));
            if (!f) throw std::runtime_error("cannot write " + (dir / "answers" / name).string());
            index << answer_from << ' ' << last << ' ' << name << ' ' << logs_in_answer << ' '
                  << transfers_in_answer << ' ' << body.size() << '\n';
            json_bytes_ += body.size();
            answer_from = last + 1;
            start_answer();
        };
        start_answer();

        while (emitted_ < o_.transfers) {
            const uint64_t in_block =
                std::min<uint64_t>(100 + rng_.below(101), o_.transfers - emitted_);
            const Hash bhash = block_hash(o_.seed, block);
            uint64_t produced = 0;
            uint32_t log_index = static_cast<uint32_t>(rng_.below(4));
            uint32_t txn_index = 0;
            while (produced < in_block) {
                Hash txn;
                fill_bytes(txn.bytes, rng_.next());
                txn_index += 1 + static_cast<uint32_t>(rng_.below(4) == 0 ? rng_.below(3) : 0);
                const double u = rng_.unit();
                const int logs_in_txn = 1 + (u < 0.2) + (u < 0.1);
                for (int j = 0; j < logs_in_txn && produced < in_block; ++j) {
                    if (rng_.unit() < 0.01) {  // an ERC721 Transfer: 4 topics, empty data
                        append_nft_log(body, logs_in_answer, block, bhash, txn, txn_index,
                                       log_index++);
                        ++erc721_;
                    }
                    const GenTransfer tr = next_transfer();
                    append_log(body, logs_in_answer, tr, block, bhash, txn, txn_index, log_index);
                    // Other events (Approval, Swap, Sync...) take log indexes too.
                    log_index += 1 + static_cast<uint32_t>(rng_.below(4) == 0 ? rng_.below(3) : 0);
                    ++produced;
                    ++transfers_in_answer;
                }
            }
            ++blocks_;
            if (block + 1 - answer_from == o_.blocks_per_answer || emitted_ == o_.transfers) {
                flush_answer(block);
            }
            ++block;
        }
        index.close();
        write_expected(dir / "expected.txt");
        std::ofstream stats(dir / "stats.txt");
        uint64_t holders_touched = 0;
        for (auto v : touched_) holders_touched += v;
        uint64_t positive_pairs = 0;
        std::vector<uint8_t> positive_holder(o_.holders, 0);
        for (const auto& [k, v] : balances_) {
            if (v > 0) {
                ++positive_pairs;
                positive_holder[k % o_.holders] = 1;
            }
        }
        uint64_t positive_holders = 0;
        for (auto v : positive_holder) positive_holders += v;
        stats << "blocks " << blocks_ << "\nanswers " << answer_no << "\njson_bytes " << json_bytes_
              << "\nholders_touched " << holders_touched << "\npositive_holders "
              << positive_holders << "\npositive_pairs " << positive_pairs << "\nmints " << mints_
              << "\nburns " << burns_ << "\nzero_value " << zero_value_ << "\nself " << self_
              << "\nerc721_logs " << erc721_ << "\nfailed_sender_picks " << failed_sender_
              << "\ntop_token_share "
              << static_cast<double>(token_count_0_) / static_cast<double>(o_.transfers) << "\n";
        if (!stats) throw std::runtime_error("cannot write stats");
    }

  private:
    struct PerToken {
        uint64_t perm_a{1};
        uint64_t perm_b{0};
        int decimals{18};
        uint64_t minted_ranks{0};
    };

    uint64_t holder_of(uint32_t t, uint64_t rank) const {
        if (rank < kHot) return rank;
        const auto& pt = per_token_[t];
        return static_cast<uint64_t>((static_cast<U128>(rank) * pt.perm_a + pt.perm_b) %
                                     o_.holders);
    }
    uint64_t pick_holder(uint32_t t) { return holder_of(t, holder_zipf_.sample(rng_)); }
    U128& balance(uint32_t t, uint64_t h) {
        return balances_[static_cast<uint64_t>(t) * o_.holders + h];
    }

    U128 mint_amount(uint32_t t) {
        U128 v = 1 + rng_.below(999);
        const int exp = per_token_[t].decimals + static_cast<int>(rng_.below(6));
        for (int i = 0; i < exp; ++i) v *= 10;
        return v;
    }
    // A part of a balance: all of it sometimes (the holder leaves), else a
    // log-uniform fraction between 1e-4 and 1.
    U128 part_of(U128 b) {
        if (b == 0) return 0;
        if (rng_.unit() < 0.12) return b;
        const double f = std::pow(10.0, -4.0 * rng_.unit());
        U128 a = static_cast<U128>(static_cast<double>(b) * f);
        if (a == 0) a = 1;
        if (a > b) a = b;
        return a;
    }

    GenTransfer mint(uint32_t t, uint64_t h, U128 amount) {
        balance(t, h) += amount;
        ++mints_;
        return {t, kZero, h, amount};
    }

    GenTransfer next_transfer_inner() {
        if (emitted_ < mint_phase_) {
            // Initial distributions: each token mints to its own top-ranked
            // holders in rank order (the first one mint per token).
            const auto t = emitted_ < o_.tokens ? static_cast<uint32_t>(emitted_)
                                                : static_cast<uint32_t>(token_zipf_.sample(rng_));
            auto& pt = per_token_[t];
            const uint64_t h = holder_of(t, pt.minted_ranks++ % o_.holders);
            return mint(t, h, mint_amount(t));
        }
        const auto t = static_cast<uint32_t>(token_zipf_.sample(rng_));
        const double r = rng_.unit();
        if (r < 0.005) {  // zero-value transfer (spam, approvals-by-transfer)
            ++zero_value_;
            return {t, pick_holder(t), pick_holder(t), 0};
        }
        if (r < 0.02) return mint(t, pick_holder(t), mint_amount(t));
        uint64_t from = pick_holder(t);
        for (int tries = 0; tries < 8 && balance(t, from) == 0; ++tries) from = pick_holder(t);
        if (balance(t, from) == 0) {
            ++failed_sender_;
            return mint(t, from, mint_amount(t));
        }
        U128& fb = balance(t, from);
        const U128 amount = part_of(fb);
        fb -= amount;
        if (r < 0.03) {
            ++burns_;
            return {t, from, kZero, amount};
        }
        uint64_t to = pick_holder(t);
        if (to == from && rng_.unit() > 0.05) to = pick_holder(t);
        if (to == from) ++self_;
        balance(t, to) += amount;
        return {t, from, to, amount};
    }

    GenTransfer next_transfer() {
        GenTransfer tr = next_transfer_inner();
        if (tr.from != kZero) touched_[tr.from] = 1;
        if (tr.to != kZero) touched_[tr.to] = 1;
        if (tr.token == 0) ++token_count_0_;
        ++emitted_;
        return tr;
    }

    void append_common_tail(std::string& out, BlockNum block, const Hash& bhash, const Hash& txn,
                            uint32_t txn_index, uint32_t log_index) {
        out += R"(,"blockHash":)";
        append_data(out, bhash.bytes.data(), 32);
        out += R"(,"blockNumber":)";
        append_quantity(out, block);
        out += R"(,"transactionHash":)";
        append_data(out, txn.bytes.data(), 32);
        out += R"(,"transactionIndex":)";
        append_quantity(out, txn_index);
        out += R"(,"logIndex":)";
        append_quantity(out, log_index);
        out += R"(,"removed":false})";
    }

    void append_log(std::string& out, uint64_t& count, const GenTransfer& tr, BlockNum block,
                    const Hash& bhash, const Hash& txn, uint32_t txn_index, uint32_t log_index) {
        if (count++ > 0) out.push_back(',');
        out += R"({"address":)";
        append_data(out, tokens_[tr.token].bytes.data(), 20);
        out += R"(,"topics":[)";
        append_data(out, erc20::indexer::kTransferTopic.bytes.data(), 32);
        out.push_back(',');
        append_topic_address(out, tr.from == kZero ? Address{} : holders_[tr.from]);
        out.push_back(',');
        append_topic_address(out, tr.to == kZero ? Address{} : holders_[tr.to]);
        out += R"(],"data":)";
        const auto w = word_of(tr.amount);
        append_data(out, w.data(), w.size());
        append_common_tail(out, block, bhash, txn, txn_index, log_index);
    }

    void append_nft_log(std::string& out, uint64_t& count, BlockNum block, const Hash& bhash,
                        const Hash& txn, uint32_t txn_index, uint32_t log_index) {
        if (count++ > 0) out.push_back(',');
        Address collection;
        fill_bytes(collection.bytes, rng_.next());
        out += R"({"address":)";
        append_data(out, collection.bytes.data(), 20);
        out += R"(,"topics":[)";
        append_data(out, erc20::indexer::kTransferTopic.bytes.data(), 32);
        out.push_back(',');
        append_topic_address(out, holders_[pick_holder(0)]);
        out.push_back(',');
        append_topic_address(out, holders_[pick_holder(0)]);
        out.push_back(',');
        append_quantity_word(out, rng_.below(10000));
        out += R"(],"data":"0x")";
        append_common_tail(out, block, bhash, txn, txn_index, log_index);
    }

    static void append_quantity_word(std::string& out, uint64_t v) {
        const auto w = word_of(v);
        append_data(out, w.data(), w.size());
    }

    // A sample of (token, holder, balance) rows for the replay to check:
    // the hottest pairs of the busiest tokens and random others.
    void write_expected(const fs::path& path) {
        std::ofstream f(path);
        std::vector<std::pair<uint32_t, uint64_t>> picks;
        for (uint32_t t = 0; t < std::min<uint32_t>(o_.tokens, 4); ++t) {
            for (uint64_t r = 0; r < 4; ++r) picks.emplace_back(t, holder_of(t, r));
        }
        for (int i = 0; i < 48; ++i) {
            const auto t = static_cast<uint32_t>(token_zipf_.sample(rng_));
            picks.emplace_back(t, pick_holder(t));
        }
        for (const auto& [t, h] : picks) {
            auto it = balances_.find(static_cast<uint64_t>(t) * o_.holders + h);
            f << "balance " << t << ' ' << h << ' '
              << dec_of(it == balances_.end() ? 0 : it->second) << '\n';
        }
        for (uint32_t t = 0; t < std::min<uint32_t>(o_.tokens, 8); ++t) {
            uint64_t holders = 0;
            for (uint64_t h = 0; h < o_.holders; ++h) {
                auto it = balances_.find(static_cast<uint64_t>(t) * o_.holders + h);
                if (it != balances_.end() && it->second > 0) ++holders;
            }
            f << "holders " << t << ' ' << holders << '\n';
        }
        if (!f) throw std::runtime_error("cannot write expected values");
    }

    const Options& o_;
    Rng rng_;
    Zipf token_zipf_;
    Zipf holder_zipf_;
    std::vector<PerToken> per_token_;
    std::vector<Address> tokens_;
    std::vector<Address> holders_;
    std::unordered_map<uint64_t, U128> balances_;
    std::vector<uint8_t> touched_;
    uint64_t mint_phase_{0};
    uint64_t emitted_{0};
    uint64_t blocks_{0};
    uint64_t json_bytes_{0};
    uint64_t mints_{0}, burns_{0}, zero_value_{0}, self_{0}, erc721_{0}, failed_sender_{0};
    uint64_t token_count_0_{0};
};

// Generates in a forked child: the parent's peak RSS and timers see only the replay.
void generate(const Options& o, const fs::path& dir) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int code = 0;
        try {
            Generator(o).run(dir);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "replay: generator: %s\n", e.what());
            code = 1;
        }
        std::fflush(nullptr);
        _exit(code);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("generator failed");
    }
}

// ---------------------------------------------------------------------------
// Measuring

struct FolderSize {
    uint64_t total{0};
    uint64_t sst{0};
    uint64_t wal{0};
    uint64_t files{0};
};
// An open store's background compactions delete files while they are
// counted: a file gone meanwhile counts as nothing.
FolderSize folder_size(const fs::path& dir) {
    FolderSize s;
    std::error_code ec;
    for (const auto& e :
         fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec)) {
        if (!e.is_regular_file(ec)) continue;
        const uint64_t n = e.file_size(ec);
        if (ec) continue;
        s.total += n;
        ++s.files;
        const auto ext = e.path().extension();
        if (ext == ".sst") s.sst += n;
        if (ext == ".log") s.wal += n;
    }
    return s;
}

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    std::string s;
    f.seekg(0, std::ios::end);
    s.resize(static_cast<size_t>(f.tellg()));
    f.seekg(0);
    f.read(s.data(), static_cast<std::streamsize>(s.size()));
    return s;
}

struct CfSize {
    std::string name;
    uint64_t sst_bytes{0};
    uint64_t keys{0};
};

// Per-column-family SST sizes and key estimates, read from the closed folder
// (read-only: the Store does not expose them).
std::vector<CfSize> column_family_sizes(const std::string& path) {
    rocksdb::DBOptions db_options;
    std::vector<std::string> names;
    auto s = rocksdb::DB::ListColumnFamilies(db_options, path, &names);
    if (!s.ok()) throw std::runtime_error("list column families: " + s.ToString());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.reserve(names.size());
    for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &raw);
    if (!s.ok()) throw std::runtime_error("open read-only: " + s.ToString());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<CfSize> sizes;
    for (size_t i = 0; i < handles.size(); ++i) {
        CfSize c{names[i], 0, 0};
        db->GetIntProperty(handles[i], rocksdb::DB::Properties::kTotalSstFilesSize, &c.sst_bytes);
        db->GetIntProperty(handles[i], rocksdb::DB::Properties::kEstimateNumKeys, &c.keys);
        sizes.push_back(c);
    }
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    return sizes;
}

struct AnswerRef {
    BlockNum from{0};
    BlockNum to{0};
    std::string file;
    uint64_t logs{0};
    uint64_t transfers{0};
    uint64_t bytes{0};
};

std::unordered_map<std::string, std::string> read_stats(const fs::path& p) {
    std::unordered_map<std::string, std::string> m;
    std::ifstream f(p);
    std::string k, v;
    while (f >> k >> v) m[k] = v;
    return m;
}

// A point in wall time and in the calling thread's CPU time.
struct Lap {
    Clock::time_point wall;
    double cpu;
};
Lap lap() { return {Clock::now(), thread_cpu_seconds()}; }

// Wall and thread-CPU seconds of one stage, summed over its runs.
struct Stage {
    double wall{0};
    double cpu{0};
    void add(const Lap& from, const Lap& to) {
        wall += std::chrono::duration<double>(to.wall - from.wall).count();
        cpu += to.cpu - from.cpu;
    }
};

using erc20::indexer::FetchedRange;

// What a fetch worker does with an answer (indexer/fetch.cpp fetch_range):
// decode, extract, sort. The answers carry logs only: a header for every
// block is made up afterwards (the network's part, not a stage).
FetchedRange decode_answer(simdjson::ondemand::parser& parser, const AnswerRef& a,
                           std::string& body, uint64_t seed, Stage& decode, Stage& extract) {
    const Lap l0 = lap();
    auto logs = erc20::rpc::decode_logs(parser, body);
    if (!logs) throw std::runtime_error(a.file + ": " + logs.error().to_string());
    const Lap l1 = lap();
    FetchedRange r;
    r.from = a.from;
    r.to = a.to;
    r.log_count = logs->size();
    r.transfers.reserve(logs->size());
    for (const auto& log : *logs) {
        if (auto t = erc20::indexer::extract_transfer(log)) r.transfers.push_back(*t);
    }
    std::sort(r.transfers.begin(), r.transfers.end(), [](const auto& x, const auto& y) {
        return std::tie(x.block_num, x.log_index) < std::tie(y.block_num, y.log_index);
    });
    if (r.transfers.size() != a.transfers) {
        throw std::runtime_error(a.file + ": extracted " + std::to_string(r.transfers.size()) +
                                 " transfers, generated " + std::to_string(a.transfers));
    }
    decode.add(l0, l1);
    extract.add(l1, lap());
    r.headers.reserve(a.to - a.from + 1);
    for (BlockNum n = a.from; n <= a.to; ++n) {
        r.headers.push_back({n, block_hash(seed, n), block_hash(seed, n - 1), block_time(n), {}});
    }
    return r;
}

// The writer side is the daemon's: indexer::BatchWriter merges consecutive
// ranges into one BlockBatch and applies it on its writer thread; this times
// the main thread's part.
struct Writer {
    erc20::indexer::BatchWriter batches;
    Stage batching;  // BatchWriter::add and flush: appending ranges to the batch, handing it over
    double wait{0};  // waiting for the write in flight before a hand-over

    void add(FetchedRange&& r, BlockNum head) {
        const Lap l0 = lap();
        batches.add(std::move(r), head);
        batching.add(l0, lap());
    }
    // Hands the pending batch over once the write in flight is done.
    void hand_over() {
        const auto w0 = Clock::now();
        batches.finish();
        wait += seconds_since(w0);
        const Lap l0 = lap();
        batches.flush();
        batching.add(l0, lap());
    }
};

int run(const Options& o) {
    // Work folder: answers (and the database unless --db).
    if (!o.db.empty() && fs::exists(o.db) && !fs::is_empty(o.db)) {
        throw std::runtime_error("--db " + o.db + " exists and is not empty");
    }
    std::string tmpl = (fs::temp_directory_path() / "erc20-replay-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    const fs::path work = tmpl;
    // Removes the work folder on every way out, errors included, unless --keep.
    struct Cleanup {
        fs::path dir;
        bool keep;
        ~Cleanup() {
            if (keep) {
                std::printf("kept %s\n", dir.c_str());
            } else {
                std::error_code ec;
                fs::remove_all(dir, ec);
            }
        }
    } cleanup{work, o.keep};
    const fs::path db_path = o.db.empty() ? work / "db" : fs::path(o.db);

    std::printf("erc20-indexer replay benchmark\n");
    std::printf("  machine      : %u cores (hardware_concurrency), %s\n",
                std::thread::hardware_concurrency(), cpu_model().c_str());
    // simdjson::builtin_implementation() lives in libsimdjson.so and names the
    // library's own build (Debian's: fallback), not this program's: the
    // On-Demand code inlined into rpc/decode.cpp (built with the same flags as
    // this file, or the parser types would not link) is the one the
    // SIMDJSON_BUILTIN_IMPLEMENTATION macro names. Stage 1 (structural
    // indexing) is dispatched at run time to get_active_implementation().
    std::printf(
        "  libraries    : RocksDB %d.%d.%d, simdjson %d.%d.%d: On-Demand stage 2 compiled as "
        "simdjson::%s "
        "(set by -march), stage 1 dispatched at run time to %s; libsimdjson.so's "
        "builtin_implementation(): %s\n",
        ROCKSDB_MAJOR, ROCKSDB_MINOR, ROCKSDB_PATCH, int{simdjson::SIMDJSON_VERSION_MAJOR},
        int{simdjson::SIMDJSON_VERSION_MINOR}, int{simdjson::SIMDJSON_VERSION_REVISION},
        SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION),
        simdjson::get_active_implementation()->name().c_str(),
        simdjson::builtin_implementation()->name().c_str());
#ifdef NDEBUG
    std::printf("  build        : NDEBUG (release)\n");
#else
    std::printf(
        "  build        : assertions on (NOT a release build: figures are not representative)\n");
#endif

    const auto gen_t0 = Clock::now();
    generate(o, work);
    const double gen_s = seconds_since(gen_t0);
    auto stats = read_stats(work / "stats.txt");
    std::vector<AnswerRef> answers;
    {
        std::ifstream f(work / "index.txt");
        AnswerRef a;
        while (f >> a.from >> a.to >> a.file >> a.logs >> a.transfers >> a.bytes)
            answers.push_back(a);
    }
    if (answers.empty()) throw std::runtime_error("no answers generated");
    const BlockNum last_block = answers.back().to;
    uint64_t total_logs = 0, total_json = 0, max_body = 0;
    for (const auto& a : answers) {
        total_logs += a.logs;
        total_json += a.bytes;
        max_body = std::max(max_body, a.bytes);
    }
    std::printf("  workload     : %" PRIu64
                " transfers (%s mints, %s burns, %s zero-value, %s self) + %s ERC721 logs\n",
                o.transfers, stats["mints"].c_str(), stats["burns"].c_str(),
                stats["zero_value"].c_str(), stats["self"].c_str(), stats["erc721_logs"].c_str());
    std::printf("                 %u tokens (Zipf s=1.1, busiest %.1f%% of transfers), %" PRIu64
                " holders (Zipf s=1.0; %s touched, %s hold a positive balance; %s positive (token, "
                "holder) pairs)\n",
                o.tokens, 100.0 * std::stod(stats["top_token_share"]), o.holders,
                stats["holders_touched"].c_str(), stats["positive_holders"].c_str(),
                stats["positive_pairs"].c_str());
    std::printf("                 %s blocks (%" PRIu64 "-%" PRIu64
                ", %.0f transfers/block), seed %" PRIu64 "\n",
                stats["blocks"].c_str(), answers.front().from, last_block,
                static_cast<double>(o.transfers) / std::stod(stats["blocks"]), o.seed);
    // The batches the writer will form: the daemon's rule on the generator's counts.
    const size_t batch_limit =
        erc20::indexer::batch_limit(static_cast<size_t>(o.write_batch_mb << 20));
    uint64_t planned_batches = 0;
    {
        size_t transfers_in = 0;  // BatchWriter::full(): handed over once it holds the limit
        for (const auto& a : answers) {
            transfers_in += a.transfers;
            if (transfers_in >= batch_limit) {
                ++planned_batches;
                transfers_in = 0;
            }
        }
        if (transfers_in > 0) ++planned_batches;
    }
    std::printf(
        "  answers      : %zu eth_getLogs bodies of %u blocks, %.0f transfers/answer, %s JSON/body "
        "avg "
        "(max %s), %s total; generated in %.1f s (not measured)\n",
        answers.size(), o.blocks_per_answer,
        static_cast<double>(o.transfers) / static_cast<double>(answers.size()),
        human_bytes(static_cast<double>(total_json) / static_cast<double>(answers.size())).c_str(),
        human_bytes(static_cast<double>(max_body)).c_str(),
        human_bytes(static_cast<double>(total_json)).c_str(), gen_s);
    std::printf("  batches      : %" PRIu64
                " Store::apply batches when full, %.0f transfers/batch (%.1f answers/batch): "
                "--write-batch-mb %" PRIu64
                " / kApplyBytesPerTransfer %zu B = handed over once it holds %zu transfers%s\n",
                planned_batches,
                static_cast<double>(o.transfers) / static_cast<double>(planned_batches),
                static_cast<double>(answers.size()) / static_cast<double>(planned_batches),
                o.write_batch_mb, erc20::storage::kApplyBytesPerTransfer, batch_limit,
                o.serial ? ""
                         : "; pipelined, a batch is handed over as soon as nothing more is decoded "
                           "(the daemon's rule)");
    if (o.serial) {
        std::printf(
            "  threads      : serial (--serial): read, decode, extract, sort, batch and apply one "
            "at a time (the "
            "apply on the writer's thread while the main thread waits for it)\n");
    } else {
        std::printf(
            "  threads      : pipelined: read, decode, extract and sort on a decode thread -> "
            "queue of at most "
            "%zu transfers (2 batches) -> batch on the main thread -> Store::apply on "
            "indexer::BatchWriter's "
            "writer thread, as in the daemon\n",
            2 * batch_limit);
    }
    std::printf("  store        : %s; batches of >= %zu transfers ingested as table files\n",
                o.bulk ? "bulk mode (Store::begin_bulk: automatic compactions deferred, as in the "
                         "daemon's backfill; "
                         "the compaction below is the one the daemon runs before following)"
                       : "normal settings (--no-bulk: automatic compactions on)",
                erc20::storage::StoreOptions{}.ingest_min_transfers);
    std::printf("  database     : %s\n", db_path.c_str());
    std::fflush(stdout);

    // ---- replay
    Stage reading, decoding, extracting;  // the decode thread's (--serial: the one thread's)
    double decoder_cpu = 0;               // the decode thread's CPU in all (pipelined)
    double decoder_wait = 0;              // the decode thread waiting on a full queue
    double writer_wait = 0;               // the writer waiting for a decoded answer
    size_t queue_peak = 0;
    Clock::time_point e2e_t0, e2e_t1;  // the first decode's start, the last apply's end
    const long rss_before = peak_rss_kib();
    const double cpu_t0 = cpu_seconds();
    auto store = erc20::storage::Store::open(db_path.string(), erc20::storage::StoreOptions{});
    store->bind_chain(1);
    if (o.bulk) store->begin_bulk();
    // The daemon's writer; the replay's head is the last block, so headers are
    // kept as at the end of a backfill (the window below it, and each batch's last).
    Writer writer{erc20::indexer::BatchWriter(*store, static_cast<size_t>(o.write_batch_mb << 20),
                                              kReorgWindow, {}),
                  {},
                  0};
    // Reads answer i (the network's job: not a stage) and decodes it.
    auto read_and_decode = [&](simdjson::ondemand::parser& parser, size_t i) {
        const auto& a = answers[i];
        const Lap r0 = lap();
        std::string body = read_file(work / "answers" / a.file);
        const Lap r1 = lap();
        reading.add(r0, r1);
        if (i == 0) e2e_t0 = r1.wall;
        return decode_answer(parser, a, body, o.seed, decoding, extracting);
    };
    const auto replay_t0 = Clock::now();
    if (o.serial) {
        simdjson::ondemand::parser parser;
        for (size_t i = 0; i < answers.size(); ++i) {
            writer.add(read_and_decode(parser, i), last_block);
            if (writer.batches.full())
                writer.hand_over();  // everything is at hand: only a full batch goes
            writer.batches.finish();
        }
        writer.hand_over();
        writer.batches.finish();
        e2e_t1 = Clock::now();
    } else {
        RangeQueue q(2 * batch_limit);
        {
            DecodeThread decoder(q, [&](RangeQueue& queue) {
                const double c0 = thread_cpu_seconds();
                simdjson::ondemand::parser parser;
                for (size_t i = 0; i < answers.size(); ++i) {
                    if (!queue.push(read_and_decode(parser, i), &decoder_wait)) break;
                }
                decoder_cpu = thread_cpu_seconds() - c0;
            });
            while (auto d = q.pop(&writer_wait)) {
                writer.add(std::move(*d), last_block);
                // The daemon's rule (BatchWriter::should_hand_over): merge while
                // more has arrived, hand the batch over when the writer would
                // otherwise wait, when it is full or old.
                if (writer.batches.should_hand_over(q.more())) writer.hand_over();
            }
        }
        writer.hand_over();
        writer.batches.finish();
        e2e_t1 = Clock::now();
        queue_peak = q.peak_transfers();
    }
    const double replay_wall = seconds_since(replay_t0);
    const double e2e_wall = std::chrono::duration<double>(e2e_t1 - e2e_t0).count();
    const erc20::indexer::WriteStats& written = writer.batches.stats();
    const Stage applying{written.apply_wall, written.apply_cpu};
    const uint64_t replayed = written.transfers;
    if (o.serial && written.batches != planned_batches) {
        throw std::runtime_error("applied " + std::to_string(written.batches) +
                                 " batches, planned " + std::to_string(planned_batches));
    }
    const uint64_t live_estimate = store->size_bytes();
    const auto close_t0 = Clock::now();
    store.reset();  // with the WAL on, RocksDB does not flush the memtables at close
    const double close_s = seconds_since(close_t0);
    const double replay_cpu = cpu_seconds() - cpu_t0;
    const long rss_replay = peak_rss_kib();
    const FolderSize before = folder_size(db_path);

    const double n = static_cast<double>(replayed);
    const Stage front{decoding.wall + extracting.wall, decoding.cpu + extracting.cpu};
    const Stage back{writer.batching.wall + applying.wall, writer.batching.cpu + applying.cpu};
    // The headline: pipelined, the wall time from the first decode to the end
    // of the last apply; serial, the sum of the stages (file reads excluded).
    const double end_to_end = o.serial ? front.wall + back.wall : e2e_wall;
    if (o.serial) {
        std::printf("\nthroughput (%" PRIu64 " transfers, %" PRIu64 " logs, %" PRIu64
                    " batches), serial (--serial): "
                    "wall time, and CPU time of the one replay thread\n",
                    replayed, total_logs, written.batches);
    } else {
        std::printf("\nthroughput (%" PRIu64 " transfers, %" PRIu64 " logs, %" PRIu64
                    " batches), pipelined: "
                    "wall time, and CPU time of the thread that runs the stage\n",
                    replayed, total_logs, written.batches);
    }
    std::printf("  %-15s %9s %14s   %9s %14s\n", "stage", "wall s", "transfers/s", "CPU s",
                "transfers/CPU-s");
    auto row = [&](const char* name, double wall, double cpu, const char* note) {
        std::printf("  %-15s %9.3f %14.0f   %9.3f %14.0f  %s\n", name, wall, n / wall, cpu, n / cpu,
                    note);
    };
    const char* front_thread = o.serial ? "" : "[decode thread]";
    const char* back_thread = o.serial ? "" : "[main thread]";
    const char* apply_thread = o.serial ? "" : "[writer thread]";
    char detail[96];
    char note[160];
    auto with_thread = [&](const char* thread) {
        std::snprintf(note, sizeof note, "%s%s%s", thread,
                      thread[0] != '\0' && detail[0] != '\0' ? " " : "", detail);
        return note;
    };
    std::snprintf(detail, sizeof detail, "(%.0f MB/s of JSON on CPU)",
                  static_cast<double>(total_json) / 1e6 / decoding.cpu);
    row("decode", decoding.wall, decoding.cpu, with_thread(front_thread));
    detail[0] = '\0';
    row("extract+sort", extracting.wall, extracting.cpu, with_thread(front_thread));
    row("decode+extract", front.wall, front.cpu, with_thread(front_thread));
    std::snprintf(detail, sizeof detail, "(appending answers to the batch)");
    row("batch", writer.batching.wall, writer.batching.cpu, with_thread(back_thread));
    std::snprintf(detail, sizeof detail, "(%.1f ms CPU per batch)",
                  1e3 * applying.cpu / static_cast<double>(written.batches));
    row("apply", applying.wall, applying.cpu, with_thread(apply_thread));
    detail[0] = '\0';
    row("batch+apply", back.wall, back.cpu, with_thread(o.serial ? "" : "[main + writer threads]"));
    if (o.serial) {
        std::snprintf(note, sizeof note,
                      "(decode+extract+batch+apply, one thread; %.3f s of wall from the first "
                      "decode to the last apply, with the file reads)",
                      e2e_wall);
    } else {
        std::snprintf(note, sizeof note,
                      "(wall from the first decode to the end of the last apply, 3 threads; "
                      "CPU of the three threads' stages)");
    }
    row("end to end", end_to_end, front.cpu + back.cpu, note);
    std::printf(
        "  %-15s %9s %14.0f   %9s %14.0f  %s\n", "overlapped", "",
        n / std::max({front.wall, writer.batching.wall, applying.wall}), "",
        n / std::max({front.cpu, writer.batching.cpu, applying.cpu}),
        o.serial
            ? "(bound if each stage ran on its own thread: 1/max(decode+extract, batch, apply))"
            : "(bound of this pipeline: 1/max(decode+extract, batch, apply))");
    std::printf("  %-15s %9.3f %14.0f  (closing the store)\n", "+ close", end_to_end + close_s,
                n / (end_to_end + close_s));
    std::printf("  batches        : %" PRIu64 " of %" PRIu64 "-%" PRIu64 " transfers (%.0f avg)\n",
                written.batches, written.min_transfers, written.max_transfers,
                n / static_cast<double>(written.batches));
    if (o.serial) {
        std::printf(
            "  file reads     : %.3f s wall, %.3f s CPU (the network's stand-in: not in the "
            "stages)\n",
            reading.wall, reading.cpu);
    } else {
        std::printf(
            "  decode thread  : %.3f s CPU in all, incl. file reads (the network's stand-in) %.3f "
            "s wall / "
            "%.3f s CPU; waited %.3f s on a full queue (peak %zu transfers queued)\n",
            decoder_cpu, reading.wall, reading.cpu, decoder_wait, queue_peak);
        std::printf(
            "  main thread    : waited %.3f s for decoded answers (the first one's read and decode "
            "included), "
            "%.3f s for the write in flight before a hand-over\n",
            writer_wait, writer.wait);
    }
    std::printf(
        "  process CPU    : %.3f s over %.3f s of wall time (all threads, incl. RocksDB flushes "
        "and "
        "compactions, file reads) = %.0f transfers per process-CPU-second\n",
        replay_cpu, replay_wall + close_s, n / replay_cpu);
    std::printf("\nmemory\n");
    std::printf("  peak RSS     : %s after the replay (%s before opening the store)\n",
                human_bytes(static_cast<double>(rss_replay) * 1024).c_str(),
                human_bytes(static_cast<double>(rss_before) * 1024).c_str());

    std::printf("\ndatabase size\n");
    std::printf("  on disk      : %s before close (Store::size_bytes: SST + WAL)\n",
                human_bytes(static_cast<double>(live_estimate)).c_str());
    std::printf("  after replay : %s in %" PRIu64
                " files (%s SST, %s WAL) = %.1f bytes/transfer (%.1f SST only)\n",
                human_bytes(static_cast<double>(before.total)).c_str(), before.files,
                human_bytes(static_cast<double>(before.sst)).c_str(),
                human_bytes(static_cast<double>(before.wal)).c_str(),
                static_cast<double>(before.total) / n, static_cast<double>(before.sst) / n);

    // Reopen through the Store and check the result against the generator.
    int failures = 0;
    {
        const auto reopen_t0 = Clock::now();
        auto reopened =
            erc20::storage::Store::open(db_path.string(), erc20::storage::StoreOptions{});
        const double reopen_s = seconds_since(reopen_t0);
        const FolderSize flushed = folder_size(db_path);
        std::printf("  reopened     : %s in %" PRIu64
                    " files (%s SST, %s WAL) = %.1f bytes/transfer (%.1f SST only); "
                    "Store::open took %.2f s (WAL recovery into L0)\n",
                    human_bytes(static_cast<double>(flushed.total)).c_str(), flushed.files,
                    human_bytes(static_cast<double>(flushed.sst)).c_str(),
                    human_bytes(static_cast<double>(flushed.wal)).c_str(),
                    static_cast<double>(flushed.total) / n, static_cast<double>(flushed.sst) / n,
                    reopen_s);
        auto view = reopened->view();
        const auto totals = view.totals();
        if (totals.transfers != replayed || totals.tokens != o.tokens) {
            std::printf("  CHECK FAILED : totals %" PRIu64 " transfers / %" PRIu64
                        " tokens, expected %" PRIu64 " / %u\n",
                        totals.transfers, totals.tokens, replayed, o.tokens);
            ++failures;
        }
        std::ifstream f(work / "expected.txt");
        std::string kind;
        uint64_t checked = 0;
        while (f >> kind) {
            if (kind == "balance") {
                uint64_t t = 0, h = 0;
                std::string want;
                f >> t >> h >> want;
                const auto got = erc20::to_dec_string(
                    view.balance(token_address(o.seed, t), holder_address(o.seed, h)));
                if (got != want) {
                    std::printf("  CHECK FAILED : balance of holder %" PRIu64 " in token %" PRIu64
                                " is %s, expected %s\n",
                                h, t, got.c_str(), want.c_str());
                    ++failures;
                }
            } else {
                uint64_t t = 0, want = 0;
                f >> t >> want;
                const auto s = view.token_stats(token_address(o.seed, t));
                if (!s || s->holders != want) {
                    std::printf("  CHECK FAILED : token %" PRIu64 " has %" PRIu64
                                " holders, expected %" PRIu64 "\n",
                                t, s ? s->holders : 0, want);
                    ++failures;
                }
            }
            ++checked;
        }
        std::printf("  check        : %s (%" PRIu64
                    " balances and holder counts compared with the generator)\n",
                    failures == 0 ? "ok" : "FAILED", checked);
    }

    double compacted_per_transfer = -1;
    if (o.compact) {
        const auto c0 = Clock::now();
        {
            auto store2 =
                erc20::storage::Store::open(db_path.string(), erc20::storage::StoreOptions{});
            store2->compact();
        }
        const double compact_s = seconds_since(c0);
        const auto cfs = column_family_sizes(db_path.string());
        const FolderSize after = folder_size(db_path);
        compacted_per_transfer = static_cast<double>(after.total) / n;
        std::printf("  compacted    : %s in %" PRIu64
                    " files (%s SST) = %.1f bytes/transfer (%.1f SST only); "
                    "Store::compact() took %.1f s\n",
                    human_bytes(static_cast<double>(after.total)).c_str(), after.files,
                    human_bytes(static_cast<double>(after.sst)).c_str(),
                    static_cast<double>(after.total) / n, static_cast<double>(after.sst) / n,
                    compact_s);
        std::printf("  per column family after compaction (bytes/transfer, keys):\n");
        for (const auto& c : cfs) {
            if (c.sst_bytes == 0) continue;
            std::printf("    %-18s %8.1f  %12" PRIu64 "\n", c.name.c_str(),
                        static_cast<double>(c.sst_bytes) / n, c.keys);
        }
        std::printf("  peak RSS     : %s including the compaction\n",
                    human_bytes(static_cast<double>(peak_rss_kib()) * 1024).c_str());
    }

    char e2e_target[96];
    if (o.serial) {
        std::snprintf(e2e_target, sizeof e2e_target, "not measured (--serial; one thread: %.0f/s)",
                      n / end_to_end);
    } else {
        std::snprintf(e2e_target, sizeof e2e_target, "%s (%.0f/s)",
                      n / end_to_end >= 300000 ? "met" : "NOT met", n / end_to_end);
    }
    std::printf(
        "\ntargets: >= 300000 transfers/s end to end (pipelined wall, first decode to last apply): "
        "%s; "
        "peak RSS < 1 GiB: %s; <= 150 bytes/transfer after compaction: %s\n",
        e2e_target, rss_replay < (1L << 20) ? "met" : "NOT met",
        compacted_per_transfer < 0      ? "not measured (--no-compact)"
        : compacted_per_transfer <= 150 ? "met"
                                        : "NOT met");
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "replay: %s\n", e.what());
        return 1;
    }
}
