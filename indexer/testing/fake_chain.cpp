#include "indexer/testing/fake_chain.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "common/hex.hpp"
#include "indexer/extract.hpp"
#include "rpc/abi.hpp"
#include "rpc/errors.hpp"

namespace erc20::indexer::testing {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

template <size_t N>
std::array<uint8_t, N> bytes_of(uint64_t a, uint64_t b) {
    std::array<uint8_t, N> out{};
    uint64_t x = mix(a ^ mix(b));
    for (size_t i = 0; i < N; ++i) {
        if (i % 8 == 0) x = mix(x + i);
        out[i] = static_cast<uint8_t>(x >> (8 * (i % 8)));
    }
    return out;
}

Address address_of(uint64_t kind, uint64_t i) { return Address{bytes_of<20>(kind, i)}; }

// The text of the first JSON string after `key` in `s` ("" when none).
std::string_view string_after(std::string_view s, std::string_view key) {
    size_t at = s.find(key);
    if (at == std::string_view::npos) return {};
    at = s.find('"', at + key.size());
    if (at == std::string_view::npos) return {};
    size_t end = s.find('"', at + 1);
    return end == std::string_view::npos ? std::string_view{} : s.substr(at + 1, end - at - 1);
}

std::string word_hex(const Address& a) {
    Hash h;
    std::copy(a.bytes.begin(), a.bytes.end(), h.bytes.begin() + 12);
    return to_hex(h);
}

std::string abi_string(std::string_view text) { return to_hex(rpc::encode_string(text)); }

std::string error_answer(int64_t id, int64_t code, std::string_view message) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"error":{"code":)" +
           std::to_string(code) + R"(,"message":")" + std::string(message) + R"("}})";
}

}  // namespace

FakeChain::FakeChain(FakeChainOptions options) : options_(options) {
    tokens_.reserve(options_.tokens);
    for (size_t i = 0; i < options_.tokens; ++i) {
        tokens_.push_back(address_of(options_.seed * 2 + 1, i));
        token_index_.emplace(tokens_.back(), i);
    }
    std::lock_guard lock(mutex_);
    mine_locked();  // genesis, without transfers
}

std::vector<Address> FakeChain::tokens() const { return tokens_; }

std::optional<size_t> FakeChain::token_index(const Address& a) const {
    auto it = token_index_.find(a);
    if (it == token_index_.end()) return std::nullopt;
    return it->second;
}

std::vector<Address> FakeChain::holders() const {
    std::vector<Address> out;
    for (size_t i = 0; i < options_.holders; ++i)
        out.push_back(address_of(options_.seed * 2 + 2, i));
    return out;
}

void FakeChain::mine_locked() {
    const BlockNum n = blocks_.size();
    const uint64_t salt = mix(options_.seed) ^ mix(n) ^ mix(forks_ * 0x1234567ULL + 7);
    Block b;
    b.hash = Hash{bytes_of<32>(salt, 1)};
    b.parent_hash = n == 0 ? Hash{} : blocks_.back().hash;
    std::mt19937_64 rng(salt);
    const auto& toks = tokens_;
    const auto holds = holders();
    uint32_t count =
        n == 0 ? 0 : static_cast<uint32_t>(rng() % (options_.max_transfers_per_block + 1));
    if (options_.varying_sizes && n > 0) {
        // Eras of 1x-4x the usual size, and one block in 25 several times denser.
        count *= 1 + static_cast<uint32_t>(mix(n / 400 + options_.seed) % 4);
        if (rng() % 25 == 0) count *= 6;
    }
    for (uint32_t i = 0; i < count; ++i) {
        storage::Transfer t;
        t.block_num = n;
        t.log_index = i;
        t.txn_hash = Hash{bytes_of<32>(salt, 100 + i)};
        t.token = toks[rng() % toks.size()];
        std::vector<Address> funded;
        for (const auto& h : holds) {
            if (balances_[{t.token, h}] > 0) funded.push_back(h);
        }
        const uint64_t kind = rng() % 10;
        if (funded.empty() || kind < 2) {  // mint
            t.to = holds[rng() % holds.size()];
            t.value = U256(rng() % 1'000'000 + 1) * U256(rng());
        } else {
            t.from = funded[rng() % funded.size()];
            const U256 have = balances_[{t.token, t.from}];
            t.value = kind == 9 ? have : have / (rng() % 4 + 1);  // sometimes all of it
            if (rng() % 20 == 0) t.value = 0;
            if (kind != 2) t.to = holds[rng() % holds.size()];  // kind 2: a burn
        }
        if (!t.from.is_zero()) balances_[{t.token, t.from}] -= t.value;
        if (!t.to.is_zero()) balances_[{t.token, t.to}] += t.value;
        b.transfers.push_back(t);
    }
    blocks_.push_back(std::move(b));
}

void FakeChain::extend(BlockNum head) {
    std::lock_guard lock(mutex_);
    while (blocks_.size() <= head) mine_locked();
}

void FakeChain::reorg(BlockNum depth, BlockNum head) {
    std::lock_guard lock(mutex_);
    blocks_.resize(blocks_.size() - depth);
    ++forks_;
    balances_.clear();
    for (const auto& b : blocks_) {
        for (const auto& t : b.transfers) {
            if (!t.from.is_zero()) balances_[{t.token, t.from}] -= t.value;
            if (!t.to.is_zero()) balances_[{t.token, t.to}] += t.value;
        }
    }
    while (blocks_.size() <= head) mine_locked();
}

BlockNum FakeChain::head() const {
    std::lock_guard lock(mutex_);
    return blocks_.size() - 1;
}

Hash FakeChain::hash(BlockNum n) const {
    std::lock_guard lock(mutex_);
    return blocks_.at(n).hash;
}

std::vector<storage::Transfer> FakeChain::transfers() const {
    std::lock_guard lock(mutex_);
    std::vector<storage::Transfer> out;
    for (const auto& b : blocks_) out.insert(out.end(), b.transfers.begin(), b.transfers.end());
    return out;
}

U256 FakeChain::balance(const Address& token, const Address& holder) const {
    std::lock_guard lock(mutex_);
    auto it = balances_.find({token, holder});
    return it == balances_.end() ? U256(0) : it->second;
}

U256 FakeChain::supply_locked(const Address& token) const {
    U256 sum = 0;
    for (auto it = balances_.lower_bound({token, Address{}});
         it != balances_.end() && it->first.first == token; ++it)
        sum += it->second;
    return sum;
}

FakeChainStats FakeChain::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void FakeChain::reset_stats() {
    std::lock_guard lock(mutex_);
    stats_ = {};
    served_.clear();
}

std::function<rpc::Result<std::string>(std::string_view)> FakeChain::transport() {
    return [this](std::string_view request) { return answer(request); };
}

rpc::Result<std::string> FakeChain::answer(std::string_view request) {
    // Requests come from rpc::Client: {"jsonrpc":"2.0","id":N,"method":"M","params":[...]},
    // one or several in a JSON array.
    constexpr std::string_view kItem = R"({"jsonrpc":"2.0","id":)";
    std::unique_lock lock(mutex_);
    ++stats_.requests;
    if (request.find(R"("method":"eth_call")") != std::string_view::npos) {
        if (auto refused = rate_limit_locked()) return *refused;
    }
    const uint64_t calls_before = stats_.calls;
    std::vector<std::string> answers;
    for (size_t at = request.find(kItem); at != std::string_view::npos;) {
        const size_t next = request.find(kItem, at + 1);
        std::string_view item =
            request.substr(at, next == std::string_view::npos ? request.npos : next - at);
        const int64_t id = std::stoll(
            std::string(item.substr(kItem.size(), item.find(',', kItem.size()) - kItem.size())));
        const std::string_view method = string_after(item, R"("method")");
        const size_t params_at = item.find(R"("params":)");
        std::string_view params =
            params_at == item.npos ? std::string_view{} : item.substr(params_at + 9);
        answers.push_back(answer_one(method, params, id));
        at = next;
    }
    if (answers.empty())
        return std::string(
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})");
    std::string out;
    if (request.front() != '[') {
        out = std::move(answers.front());
    } else {
        out = "[";
        for (size_t i = 0; i < answers.size(); ++i) out += (i ? "," : "") + answers[i];
        out += "]";
    }
    // A slow node: the calls take their time outside the lock, so other
    // requests (and other connections' calls) go on meanwhile.
    const uint64_t calls = stats_.calls - calls_before;
    if (calls == 0 || options_.call_delay.count() == 0) return out;
    ++call_requests_in_flight_;
    stats_.max_call_requests_in_flight =
        std::max(stats_.max_call_requests_in_flight, call_requests_in_flight_);
    lock.unlock();
    std::this_thread::sleep_for(options_.call_delay * static_cast<int64_t>(calls));
    lock.lock();
    --call_requests_in_flight_;
    return out;
}

// eth_getLogs: the logs of [fromBlock, toBlock] (topics[0] and address
// filters), or a -32005 refusal above options_.max_logs.
std::string FakeChain::logs_locked(std::string_view params, int64_t id) {
    const BlockNum head = blocks_.size() - 1;
    auto result = [&](const std::string& value) {
        return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + value + "}";
    };
    auto from = parse_quantity_u64(string_after(params, R"("fromBlock")"));
    auto to = parse_quantity_u64(string_after(params, R"("toBlock")"));
    auto topic = parse_hash(string_after(params, R"("topics")"));
    if (!from || !to || *from > *to) return error_answer(id, -32602, "invalid block range");
    std::vector<Address> wanted;
    if (size_t at = params.find(R"("address":[)"); at != params.npos) {
        std::string_view list = params.substr(at + 11, params.find(']', at) - at - 11);
        for (size_t q = list.find('"'); q != list.npos;
             q = list.find('"', list.find('"', q + 1) + 1)) {
            if (auto a = parse_address(list.substr(q + 1, 42))) wanted.push_back(*a);
        }
    }
    ++stats_.get_logs;
    std::string logs = "[";
    size_t count = 0;
    std::vector<std::pair<BlockNum, uint32_t>> served;
    for (BlockNum n = *from; n <= std::min(*to, head); ++n) {
        const Block& b = blocks_[n];
        for (const auto& t : b.transfers) {
            if (topic && *topic != kTransferTopic) continue;
            if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), t.token) == wanted.end())
                continue;
            if (++count > options_.max_logs && options_.max_logs != 0) {
                ++stats_.refused;
                if (options_.unnamed_limit)
                    return error_answer(id, -32005, "Log response size exceeded");
                return error_answer(
                    id, -32005,
                    "query returned more than " + std::to_string(options_.max_logs) + " results");
            }
            served.emplace_back(n, t.log_index);
            logs += (count > 1 ? "," : "");
            logs += R"({"address":")" + to_hex(t.token) + R"(","topics":[")" +
                    to_hex(kTransferTopic) + R"(",")" + word_hex(t.from) + R"(",")" +
                    word_hex(t.to) + R"("],"data":")" + to_hex(u256_to_be(t.value)) +
                    R"(","blockNumber":")" + to_quantity(n) + R"(","blockHash":")" +
                    to_hex(b.hash) + R"(","transactionHash":")" + to_hex(t.txn_hash) +
                    R"(","transactionIndex":")" + to_quantity(t.log_index) + R"(","logIndex":")" +
                    to_quantity(t.log_index) + R"(","removed":false})";
        }
    }
    for (const auto& key : served) {
        ++stats_.logs_served;
        if (!served_.insert(key).second) ++stats_.logs_again;
    }
    return result(logs + "]");
}

// A request holding eth_calls: the time since the last 429, and a 429 of
// its own every rate_limit_every-th time.
std::optional<rpc::RpcError> FakeChain::rate_limit_locked() {
    const auto now = std::chrono::steady_clock::now();
    if (last_429_) {
        const int64_t ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_429_).count();
        if (stats_.min_ms_after_429 < 0 || ms < stats_.min_ms_after_429)
            stats_.min_ms_after_429 = ms;
        last_429_.reset();
    }
    if (options_.rate_limit_every == 0 || ++call_requests_ % options_.rate_limit_every != 0)
        return std::nullopt;
    ++stats_.rate_limited;
    last_429_ = now;
    return rpc::make_http_error(429, options_.retry_after_ms, "rate limited");
}

// eth_call of totalSupply, name, symbol or decimals of a token, as its
// contract answers: values, reverts, junk or a transient failure.
std::string FakeChain::call_locked(std::string_view params, int64_t id) {
    ++stats_.calls;
    auto result = [&](const std::string& value) {
        return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":")" + value + "\"}";
    };
    auto to = parse_address(string_after(params, R"("to")"));
    auto data = parse_data(string_after(params, R"("data")"));
    auto index = to ? token_index(*to) : std::nullopt;
    if (!index || !data || data->size() < 4) return result("0x");
    auto every = [&](size_t n, size_t offset) { return n != 0 && *index % n == offset % n; };
    if (every(options_.revert_every, 0)) return error_answer(id, 3, "execution reverted");
    if (every(options_.fail_every, 2)) {
        ++stats_.failed_calls;
        return error_answer(id, -32603, "internal error");
    }
    const std::vector<uint8_t> selector(data->begin(), data->begin() + 4);
    if (selector == rpc::selector_total_supply())
        return result(to_hex(u256_to_be(supply_locked(*to))));
    if (every(options_.junk_every, 1)) return result("0x01020304");
    if (selector == rpc::selector_name()) return result(abi_string(token_name(*index)));
    if (selector == rpc::selector_symbol()) return result(abi_string(token_symbol(*index)));
    if (selector == rpc::selector_decimals()) return result(to_hex(u256_to_be(U256(18))));
    return error_answer(id, 3, "execution reverted");
}

std::string FakeChain::answer_one(std::string_view method, std::string_view params, int64_t id) {
    const BlockNum head = blocks_.size() - 1;
    auto result = [&](const std::string& value) {
        return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + value + "}";
    };
    auto quoted = [](const std::string& s) { return '"' + s + '"'; };
    auto header = [&](BlockNum n) {
        const Block& b = blocks_[n];
        return R"({"number":")" + to_quantity(n) + R"(","hash":")" + to_hex(b.hash) +
               R"(","parentHash":")" + to_hex(b.parent_hash) + R"(","timestamp":")" +
               to_quantity(1'700'000'000 + 12 * n) + R"(","logsBloom":"0x)" +
               std::string(512, options_.saturated_bloom ? 'f' : '0') + R"("})";
    };
    if (method == "eth_chainId") return result(quoted(to_quantity(options_.chain_id)));
    if (method == "eth_blockNumber") return result(quoted(to_quantity(head)));
    if (method == "eth_getBlockByNumber") {
        ++stats_.header_calls;
        const std::string_view tag = string_after(params, "[");
        std::optional<BlockNum> n;
        if (tag == "latest") n = head;
        else if (tag == "finalized" || tag == "safe")
            n = head > 64 ? head - 64 : 0;
        else
            n = parse_quantity_u64(tag);
        if (!n) return error_answer(id, -32602, "invalid block tag");
        return result(*n <= head ? header(*n) : std::string("null"));
    }
    if (method == "eth_getLogs") return logs_locked(params, id);
    if (method == "eth_call") return call_locked(params, id);
    return error_answer(id, -32601, "the method " + std::string(method) + " does not exist");
}

}  // namespace erc20::indexer::testing
