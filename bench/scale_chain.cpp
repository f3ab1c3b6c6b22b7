#include "bench/scale_chain.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "indexer/extract.hpp"

namespace erc20::bench {

namespace {

constexpr uint64_t kTokenSalt = 0x5ca1e70c00000000ULL;
constexpr uint64_t kAccountSalt = 0x5ca1e4cc00000000ULL;
constexpr uint64_t kBlockSalt = 0x5ca1eb1c00000000ULL;
constexpr uint64_t kTxnSalt = 0x5ca1e7a800000000ULL;
constexpr uint64_t kNftSalt = 0x5ca1e72100000000ULL;
constexpr uint32_t kHot = 64;       // ranks shared by every token
constexpr size_t kRing = 16;        // recent receivers kept per token
constexpr double kTopShare = 0.32;  // the top token's share of transfers
constexpr double kMaxLoad = 0.7;    // of the balance table
constexpr uint64_t kHugeUnits = uint64_t{1} << 63;

uint64_t key_of(uint32_t token, uint32_t holder) {
    return ((static_cast<uint64_t>(token) << 32) | holder) + 1;
}

}  // namespace

ChainShape scaled(ChainShape s) {
    if (s.addresses == 0) s.addresses = std::max<uint64_t>(10'000, s.transfers / 10);
    if (s.tokens == 0)
        s.tokens = static_cast<uint32_t>(std::max<uint64_t>(50, s.transfers / 5'000));
    s.addresses = std::min<uint64_t>(s.addresses, kNoAddress - 1);
    return s;
}

Address token_address(uint64_t seed, uint32_t token) {
    Address a;
    fill_bytes(a.bytes, splitmix64(seed ^ kTokenSalt) + uint64_t{token} * 1000003);
    return a;
}
Address account_address(uint64_t seed, uint32_t index) {
    Address a;
    fill_bytes(a.bytes, splitmix64(seed ^ kAccountSalt) + uint64_t{index} * 1000003);
    return a;
}
Hash chain_block_hash(uint64_t seed, BlockNum n) {
    Hash h;
    fill_bytes(h.bytes, splitmix64(seed ^ kBlockSalt) + n * 1000003);
    return h;
}
Hash txn_hash(uint64_t seed, BlockNum n, uint32_t txn_index) {
    Hash h;
    fill_bytes(h.bytes, splitmix64(splitmix64(seed ^ kTxnSalt) + n) + txn_index * 1000003ULL);
    return h;
}

Address log_contract(uint64_t seed, const GenLog& log) {
    if (!log.nft) return token_address(seed, log.token);
    Address a;
    fill_bytes(a.bytes, splitmix64(seed ^ kNftSalt) + (log.token % 5000));
    return a;
}

ChainGenerator::ChainGenerator(const ChainShape& shape)
    : shape_(scaled(shape)),
      rng_(shape_.seed),
      token_zipf_(shape_.tokens - 1, 1.6, 5.0),
      mult_(shape_.tokens),
      perm_a_(shape_.tokens),
      ring_(size_t{shape_.tokens} * kRing, kNoAddress),
      holders_(shape_.tokens, 0),
      keys_(1u << 16, 0),
      values_(1u << 16, 0) {
    for (uint32_t t = 0; t < shape_.tokens; ++t) {
        do {
            perm_a_[t] = 1 + rng_.below(shape_.addresses - 1);
        } while (std::gcd(perm_a_[t], shape_.addresses) != 1);
        const double d = rng_.unit();
        auto& m = mult_[t];
        m = {d < 0.8 ? 1'000'000'000'000ULL : d < 0.95 ? 1ULL : 100ULL, 0, 0, 0};
        if (t % 1000 == 3) m = {0, 0, 0, uint64_t{1} << 63};  // 2^191
    }
}

uint32_t ChainGenerator::pick_token() {
    if (rng_.unit() < kTopShare || shape_.tokens == 1) return 0;
    return static_cast<uint32_t>(1 + token_zipf_.sample(rng_));
}

uint32_t ChainGenerator::pick_holder(uint32_t token) {
    // Zipf s = 1 over ranks 0..A-1: log-uniform in [1, A+1).
    const auto a = shape_.addresses;
    auto rank = static_cast<uint64_t>(std::exp(rng_.unit() * std::log(static_cast<double>(a) + 1)));
    rank = std::min<uint64_t>(rank == 0 ? 0 : rank - 1, a - 1);
    if (rank < kHot) return static_cast<uint32_t>(rank);
    const uint64_t b = splitmix64(token) % a;
    return static_cast<uint32_t>((static_cast<U128>(rank) * perm_a_[token] + b) % a);
}

uint32_t ChainGenerator::pick_receiver(uint32_t token) {
    const uint32_t to = rng_.unit() < 0.5 ? static_cast<uint32_t>(rng_.below(shape_.addresses))
                                          : pick_holder(token);
    ring_[size_t{token} * kRing + rng_.below(kRing)] = to;
    return to;
}

uint32_t ChainGenerator::pick_sender(uint32_t token) {
    for (int tries = 0; tries < 4; ++tries) {
        uint32_t from = kNoAddress;
        if (rng_.unit() < 0.6) from = ring_[size_t{token} * kRing + rng_.below(kRing)];
        if (from == kNoAddress) from = pick_holder(token);
        if (balance_units(token, from) > 0) return from;
    }
    return kNoAddress;
}

uint64_t ChainGenerator::mint_units() {
    return 1 + static_cast<uint64_t>(std::exp(rng_.unit() * std::log(1e9)));
}

GenLog ChainGenerator::mint(uint32_t token, uint32_t to, uint64_t units) {
    add_units(token, to, units);
    ++stats_.mints;
    return {token, kNoAddress, to, 0, 0, false, units};
}

GenLog ChainGenerator::next_transfer() {
    const uint32_t t = pick_token();
    const double r = rng_.unit();
    if (holders_[t] == 0 && mult_[t][3] != 0) return mint(t, pick_receiver(t), kHugeUnits);
    if (r < 0.005) {
        ++stats_.zero_value;
        return {t, pick_holder(t), pick_receiver(t), 0, 0, false, 0};
    }
    if (r < 0.02) return mint(t, pick_receiver(t), mint_units());
    const uint32_t from = pick_sender(t);
    if (from == kNoAddress) {
        ++stats_.empty_sender;
        return mint(t, pick_receiver(t), mint_units());
    }
    const uint64_t held = balance_units(t, from);
    uint64_t units = held;
    if (rng_.unit() < 0.12) {
        ++stats_.whole_balance;
    } else {
        const double f = std::pow(10.0, -4.0 * rng_.unit());
        units = std::clamp<uint64_t>(static_cast<uint64_t>(static_cast<double>(held) * f), 1, held);
    }
    sub_units(t, from, units);
    if (r < 0.03) {
        ++stats_.burns;
        return {t, from, kNoAddress, 0, 0, false, units};
    }
    uint32_t to = from;
    if (r < 0.035) ++stats_.self;
    else
        to = pick_receiver(t);
    add_units(t, to, units);
    return {t, from, to, 0, 0, false, units};
}

uint64_t ChainGenerator::block_size() {
    const double u = rng_.unit();
    if (u < 0.01) return 0;
    // Box-Muller: a standard normal from two uniforms.
    const double z =
        std::sqrt(-2.0 * std::log(1.0 - rng_.unit())) * std::cos(6.283185307179586 * rng_.unit());
    double n = std::exp(std::log(140.0) + 0.75 * z);
    if (u > 0.99) n *= 8;
    return std::min<uint64_t>(8000, static_cast<uint64_t>(n) + 1);
}

bool ChainGenerator::next_block(GenBlock& out) {
    if (stats_.transfers >= shape_.transfers) return false;
    out.number = next_block_++;
    out.logs.clear();
    out.transfers = std::min(block_size(), shape_.transfers - stats_.transfers);
    uint32_t txn_index = 0;
    uint32_t log_index = static_cast<uint32_t>(rng_.below(4));
    for (uint64_t made = 0; made < out.transfers;) {
        txn_index += 1 + static_cast<uint32_t>(rng_.below(4) == 0 ? rng_.below(3) : 0);
        const double u = rng_.unit();
        const int logs_in_txn = 1 + (u < 0.2) + (u < 0.1);
        for (int j = 0; j < logs_in_txn && made < out.transfers; ++j) {
            if (rng_.unit() < 0.01) {  // an ERC721 Transfer: 4 topics, empty data
                out.logs.push_back({static_cast<uint32_t>(rng_.next()), pick_holder(0),
                                    pick_holder(0), txn_index, log_index++, true,
                                    rng_.below(10000)});
                ++stats_.nft_logs;
            }
            GenLog l = next_transfer();
            l.txn_index = txn_index;
            l.log_index = log_index;
            out.logs.push_back(l);
            if (l.token == 0) ++stats_.top_token_transfers;
            // Other events (Approval, Swap, Sync...) take log indexes too.
            log_index += 1 + static_cast<uint32_t>(rng_.below(4) == 0 ? rng_.below(3) : 0);
            ++made;
        }
    }
    stats_.transfers += out.transfers;
    stats_.logs += out.logs.size();
    stats_.max_block_transfers = std::max(stats_.max_block_transfers, out.transfers);
    ++stats_.blocks;
    return true;
}

std::array<uint8_t, 32> ChainGenerator::amount_word(const GenLog& log) const {
    // units * multiplier, 64 x 256 bits (fits: supplies stay below 2^255).
    const auto& m = mult_[log.token];
    std::array<uint64_t, 4> limbs{};
    U128 carry = 0;
    for (size_t i = 0; i < 4; ++i) {
        const U128 p = static_cast<U128>(m[i]) * log.units + carry;
        limbs[i] = static_cast<uint64_t>(p);
        carry = p >> 64;
    }
    std::array<uint8_t, 32> w{};
    for (size_t i = 0; i < 32; ++i) w[31 - i] = static_cast<uint8_t>(limbs[i / 8] >> (8 * (i % 8)));
    return w;
}

// ---- the balance table (linear probing, backward-shift deletion)

uint64_t* ChainGenerator::find_slot(uint64_t key) {
    const size_t mask = keys_.size() - 1;
    for (size_t i = splitmix64(key) & mask;; i = (i + 1) & mask) {
        if (keys_[i] == key || keys_[i] == 0) return &keys_[i];
    }
}

uint64_t ChainGenerator::balance_units(uint32_t token, uint32_t holder) const {
    const uint64_t key = key_of(token, holder);
    const size_t mask = keys_.size() - 1;
    for (size_t i = splitmix64(key) & mask;; i = (i + 1) & mask) {
        if (keys_[i] == key) return values_[i];
        if (keys_[i] == 0) return 0;
    }
}

void ChainGenerator::add_units(uint32_t token, uint32_t holder, uint64_t units) {
    if (units == 0) return;
    if (static_cast<double>(used_ + 1) > kMaxLoad * static_cast<double>(keys_.size())) grow();
    const uint64_t key = key_of(token, holder);
    uint64_t* k = find_slot(key);
    const size_t i = static_cast<size_t>(k - keys_.data());
    if (*k == 0) {
        *k = key;
        values_[i] = 0;
        ++used_;
        ++holders_[token];
    }
    values_[i] += units;
}

void ChainGenerator::sub_units(uint32_t token, uint32_t holder, uint64_t units) {
    if (units == 0) return;
    uint64_t* k = find_slot(key_of(token, holder));
    const size_t i = static_cast<size_t>(k - keys_.data());
    values_[i] -= units;  // REQUIRES: units <= the balance (the sender holds it)
    if (values_[i] == 0) {
        erase_at(i);
        --used_;
        --holders_[token];
    }
}

void ChainGenerator::erase_at(size_t i) {
    const size_t mask = keys_.size() - 1;
    keys_[i] = 0;
    for (size_t j = (i + 1) & mask; keys_[j] != 0; j = (j + 1) & mask) {
        const size_t home = splitmix64(keys_[j]) & mask;
        // Move j back to the hole when its home is not in (i, j].
        if (((j - home) & mask) >= ((j - i) & mask)) {
            keys_[i] = keys_[j];
            values_[i] = values_[j];
            keys_[j] = 0;
            i = j;
        }
    }
}

void ChainGenerator::grow() {
    std::vector<uint64_t> keys(keys_.size() * 2, 0), values(values_.size() * 2, 0);
    keys.swap(keys_);
    values.swap(values_);
    const size_t mask = keys_.size() - 1;
    for (size_t j = 0; j < keys.size(); ++j) {
        if (keys[j] == 0) continue;
        size_t i = splitmix64(keys[j]) & mask;
        while (keys_[i] != 0) i = (i + 1) & mask;
        keys_[i] = keys[j];
        values_[i] = values[j];
    }
}

uint64_t ChainGenerator::state_bytes() const {
    return (keys_.capacity() + values_.capacity()) * sizeof(uint64_t) +
           ring_.capacity() * sizeof(uint32_t) +
           (perm_a_.capacity() + holders_.capacity()) * sizeof(uint64_t) +
           mult_.capacity() * sizeof(mult_[0]) + size_t{shape_.tokens} * sizeof(double);
}

// ---- JSON

void append_logs_json(std::string& out, const ChainGenerator& g, const GenBlock& b, bool& first) {
    const uint64_t seed = g.shape().seed;
    const Hash bhash = chain_block_hash(seed, b.number);
    for (const auto& l : b.logs) {
        if (!first) out.push_back(',');
        first = false;
        out += R"({"address":)";
        const Address contract = log_contract(seed, l);
        append_data(out, contract.bytes.data(), 20);
        out += R"(,"topics":[)";
        append_data(out, indexer::kTransferTopic.bytes.data(), 32);
        out.push_back(',');
        append_topic_address(out, l.from == kNoAddress ? Address{} : account_address(seed, l.from));
        out.push_back(',');
        append_topic_address(out, l.to == kNoAddress ? Address{} : account_address(seed, l.to));
        std::array<uint8_t, 32> w{};
        if (l.nft) {
            for (size_t i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(l.units >> (8 * i));
            out.push_back(',');
            append_data(out, w.data(), 32);
            out += R"(],"data":"0x")";
        } else {
            w = g.amount_word(l);
            out += R"(],"data":)";
            append_data(out, w.data(), 32);
        }
        out += R"(,"blockHash":)";
        append_data(out, bhash.bytes.data(), 32);
        out += R"(,"blockNumber":)";
        append_quantity(out, b.number);
        out += R"(,"transactionHash":)";
        const Hash txn = txn_hash(seed, b.number, l.txn_index);
        append_data(out, txn.bytes.data(), 32);
        out += R"(,"transactionIndex":)";
        append_quantity(out, l.txn_index);
        out += R"(,"logIndex":)";
        append_quantity(out, l.log_index);
        out += R"(,"removed":false})";
    }
}

}  // namespace erc20::bench
