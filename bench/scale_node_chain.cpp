#include "bench/scale_node_chain.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/hex.hpp"
#include "common/keccak.hpp"
#include "indexer/extract.hpp"

namespace erc20::bench {

namespace {

uint64_t hash_key(const Hash& h) {
    uint64_t k = 0;
    std::memcpy(&k, h.bytes.data(), sizeof k);
    return k;
}

void bloom_add(std::array<uint8_t, 256>& bloom, std::span<const uint8_t> value) {
    const Hash h = keccak256(value);
    for (size_t i = 0; i < 6; i += 2) {
        const unsigned bit = ((unsigned{h.bytes[i]} << 8) | h.bytes[i + 1]) & 2047u;
        bloom[255 - bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
}

}  // namespace

TokenKind token_kind(uint32_t token) {
    if (token % 13 == 5) return TokenKind::kReverts;
    if (token % 17 == 7) return TokenKind::kBytes32;
    if (token % 29 == 11) return TokenKind::kEmpty;
    return TokenKind::kNormal;
}

NodeChain::NodeChain(const ChainShape& shape, std::string file)
    : gen_(std::make_unique<ChainGenerator>(shape)), file_(std::move(file)) {
    const auto& s = gen_->shape();
    supply_.resize(s.tokens);
    token_transfers_.assign(s.tokens, 0);
    for (uint32_t t = 0; t < s.tokens; ++t) token_index_.emplace(token_address(s.seed, t), t);
    generate();
    expect_ = make_expect();
}

NodeChain::~NodeChain() {
    if (records_ != nullptr) ::munmap(const_cast<GenLog*>(records_), mapped_bytes_);
    std::remove(file_.c_str());
}

void NodeChain::note_supply(const GenLog& l, BlockNum n) {
    if (l.nft || (l.from != kNoAddress && l.to != kNoAddress) || l.units == 0) return;
    auto& h = supply_[l.token];
    if (h.empty() || h.back().first != n) {
        const U128 last = h.empty() ? 0 : h.back().second;
        h.emplace_back(n, last);
    }
    if (l.from == kNoAddress) h.back().second += l.units;
    else
        h.back().second -= l.units;
}

void NodeChain::generate() {
    std::FILE* f = std::fopen(file_.c_str(), "wb");
    if (f == nullptr) throw std::runtime_error("cannot create " + file_);
    GenBlock b;
    first_log_.push_back(0);
    while (gen_->next_block(b)) {
        for (const auto& l : b.logs) {
            note_supply(l, b.number);
            if (!l.nft) ++token_transfers_[l.token];
        }
        if (!b.logs.empty() &&
            std::fwrite(b.logs.data(), sizeof(GenLog), b.logs.size(), f) != b.logs.size()) {
            std::fclose(f);
            throw std::runtime_error("cannot write " + file_);
        }
        first_log_.push_back(first_log_.back() + b.logs.size());
        hash_index_.emplace(hash_key(chain_block_hash(seed(), b.number)), b.number);
        ++blocks_;
    }
    if (std::fclose(f) != 0) throw std::runtime_error("cannot write " + file_);
    mapped_bytes_ = std::max<size_t>(1, first_log_.back() * sizeof(GenLog));
    std::FILE* r = std::fopen(file_.c_str(), "rb");
    if (r == nullptr) throw std::runtime_error("cannot open " + file_);
    void* p = ::mmap(nullptr, mapped_bytes_, PROT_READ, MAP_SHARED, fileno(r), 0);
    std::fclose(r);
    if (p == MAP_FAILED) throw std::runtime_error("cannot map " + file_);
    records_ = static_cast<const GenLog*>(p);
}

uint64_t NodeChain::log_offset(BlockNum n) const {
    if (n < kScaleStartBlock) return 0;
    return first_log_[std::min<uint64_t>(n - kScaleStartBlock, blocks_)];
}

std::span<const GenLog> NodeChain::logs(BlockNum n) const {
    const uint64_t a = log_offset(n), e = log_offset(n + 1);
    return {records_ + a, static_cast<size_t>(e - a)};
}

std::optional<BlockNum> NodeChain::block_of(const Hash& h) const {
    const auto it = hash_index_.find(hash_key(h));
    if (it == hash_index_.end() || chain_block_hash(seed(), it->second) != h) return std::nullopt;
    return it->second;
}

std::optional<uint32_t> NodeChain::token_of(const Address& a) const {
    const auto it = token_index_.find(a);
    if (it == token_index_.end()) return std::nullopt;
    return it->second;
}

std::array<uint8_t, 32> NodeChain::supply_word(uint32_t token, BlockNum n) const {
    const auto& h = supply_[token];
    const auto it = std::upper_bound(h.begin(), h.end(), n,
                                     [](BlockNum x, const auto& e) { return x < e.first; });
    const U128 units = it == h.begin() ? 0 : std::prev(it)->second;
    const auto& m = gen_->multiplier(token);
    U256 mult = 0;
    for (size_t i = 4; i-- > 0;) mult = (mult << 64) | U256(m[i]);
    const U256 u =
        (U256(static_cast<uint64_t>(units >> 64)) << 64) | U256(static_cast<uint64_t>(units));
    return u256_to_be(u * mult);
}

std::string NodeChain::header_json(BlockNum n) const {
    // Blooms near saturation, as mainnet's: ~90% of the bits set at random,
    // plus the true bits of the Transfer topic and of the block's contracts.
    std::array<uint8_t, 256> bloom{};
    Rng rng(splitmix64(seed() ^ n));
    for (auto& byte : bloom) {
        for (int bit = 0; bit < 8; ++bit) {
            if (rng.unit() < 0.9) byte = static_cast<uint8_t>(byte | (1u << bit));
        }
    }
    const auto block_logs = logs(n);
    if (!block_logs.empty()) bloom_add(bloom, indexer::kTransferTopic.bytes);
    uint32_t last = ~uint32_t{0};
    for (const auto& l : block_logs) {
        if (l.token == last && !l.nft) continue;
        last = l.nft ? ~uint32_t{0} : l.token;
        bloom_add(bloom, log_contract(seed(), l).bytes);
    }
    const Hash hash = chain_block_hash(seed(), n), parent = chain_block_hash(seed(), n - 1);
    std::string out = R"({"number":)";
    append_quantity(out, n);
    out += R"(,"hash":)";
    append_data(out, hash.bytes.data(), 32);
    out += R"(,"parentHash":)";
    append_data(out, parent.bytes.data(), 32);
    out += R"(,"timestamp":)";
    append_quantity(out, n >= kScaleStartBlock ? chain_block_time(n) : kScaleGenesisTime);
    out += R"(,"logsBloom":)";
    append_data(out, bloom.data(), bloom.size());
    // The other fields of a mainnet header (not read by the daemon, but sent).
    const Hash root = chain_block_hash(seed() + 1, n);
    for (const char* key : {"stateRoot", "receiptsRoot", "transactionsRoot", "mixHash"}) {
        out += R"(,")";
        out += key;
        out += R"(":)";
        append_data(out, root.bytes.data(), 32);
    }
    out += R"(,"miner":"0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5","difficulty":"0x0",)"
           R"("gasLimit":"0x1c9c380","gasUsed":)";
    append_quantity(out, 21000 + 52000 * block_logs.size());
    out += R"(,"baseFeePerGas":"0x3b9aca00","nonce":"0x0000000000000000","size":"0x1a2b",)"
           R"("extraData":"0x","uncles":[],"transactions":[]})";
    return out;
}

std::string NodeChain::make_expect() const {
    const auto& g = *gen_;
    const auto& s = g.stats();
    const uint32_t mid = std::min<uint32_t>(g.shape().tokens - 1, 20);
    auto balance = [&](uint32_t token, uint32_t holder) {
        GenLog l;
        l.token = token;
        l.units = g.balance_units(token, holder);
        return to_dec_string(u256_from_be(g.amount_word(l)));
    };
    std::string out = R"({"transfers":)" + std::to_string(s.transfers) + R"(,"blocks":)" +
                      std::to_string(s.blocks) + R"(,"logs":)" + std::to_string(s.logs) +
                      R"(,"nft_logs":)" + std::to_string(s.nft_logs) + R"(,"first_block":)" +
                      std::to_string(kScaleStartBlock) + R"(,"head":)" + std::to_string(head()) +
                      R"(,"max_block":)" + std::to_string(s.max_block_transfers) + R"(,"tokens":)" +
                      std::to_string(g.shape().tokens) + R"(,"addresses":)" +
                      std::to_string(g.shape().addresses) + R"(,"pairs":)" +
                      std::to_string(g.balance_pairs()) + R"(,"mid":)" + std::to_string(mid);
    for (const auto& [name, t] : {std::pair{"top", uint32_t{0}}, std::pair{"mid", mid}}) {
        out += std::string(R"(,")") + name + R"(_token":")" + to_hex(token_address(seed(), t)) +
               R"(",")" + name + R"(_transfers":)" + std::to_string(token_transfers_[t]) + R"(,")" +
               name + R"(_holders":)" + std::to_string(g.holders(t)) + R"(,")" + name +
               R"(_supply":")" + to_dec_string(u256_from_be(supply_word(t, head()))) + R"(",")" +
               name + R"(_balances":[)";
        for (uint32_t i = 0; i < 16; ++i) {
            // 8 hot holders, 8 spread over the addresses (most hold nothing).
            const uint32_t a =
                i < 8 ? i : static_cast<uint32_t>(splitmix64(i) % g.shape().addresses);
            out += std::string(i ? "," : "") + R"({"account":")" +
                   to_hex(account_address(seed(), a)) + R"(","balance":")" + balance(t, a) +
                   R"("})";
        }
        out += "]";
    }
    // Accounts for the queries: half among the 4,096 hottest ranks, half uniform.
    out += R"(,"accounts":[)";
    Rng rng(seed() ^ 0xacc0);
    for (int i = 0; i < 256; ++i) {
        const uint64_t n = g.shape().addresses;
        const uint64_t a = i % 2 == 0 ? rng.below(std::min<uint64_t>(n, 4096)) : rng.below(n);
        out += std::string(i ? "," : "") + '"' +
               to_hex(account_address(seed(), static_cast<uint32_t>(a))) + '"';
    }
    return out + "]}";
}

}  // namespace erc20::bench
