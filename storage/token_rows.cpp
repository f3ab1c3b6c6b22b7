#include "storage/token_rows.hpp"

#include <algorithm>

namespace erc20::storage {

std::string encode_stats(const TokenStats& s) {
    std::string v;
    encode_stats(s, v);
    return v;
}

void encode_stats(const TokenStats& s, std::string& out) {
    out.clear();
    append_be64(out, s.holders);
    append_be64(out, s.transfers);
    append_be64(out, s.negative_balances);
    append_be64(out, s.first_block);
    append_be64(out, s.last_block);
    put_lp_balance(out, s.minted);
    put_lp_balance(out, s.burned);
}

std::optional<TokenStats> decode_stats(std::string_view value) {
    if (value.size() < kTokenStatsMinSize) return std::nullopt;
    TokenStats s;
    s.holders = load_be64(value, 0);
    s.transfers = load_be64(value, 8);
    s.negative_balances = load_be64(value, 16);
    s.first_block = load_be64(value, 24);
    s.last_block = load_be64(value, 32);
    size_t at = kTokenStatsCountersSize;
    auto minted = get_lp_balance(value, at);
    auto burned = get_lp_balance(value, at);
    if (!minted || !burned) return std::nullopt;
    s.minted = *minted;
    s.burned = *burned;
    return s;
}

std::string token_block_key(const Address& token, BlockNum n) {
    return std::string(KeyBuf().token_block(token, n));
}

namespace {

enum MetaFlag : uint8_t {
    kHasName = 1,
    kHasSymbol = 2,
    kHasDecimals = 4,
    kHasSupply = 8,
    kHasSupplyHash = 16,
    kSupplyFallback = 32,
};

void put_lp_string(std::string& out, const std::string& s) {
    const size_t n = std::min<size_t>(s.size(), 0xffff);
    append_be16(out, static_cast<uint16_t>(n));
    out.append(s.data(), n);
}

std::optional<std::string> get_lp_string(std::string_view v, size_t& at) {
    if (at + 2 > v.size()) return std::nullopt;
    const size_t n = load_be16(v, at);
    if (at + 2 + n > v.size()) return std::nullopt;
    std::string s(v.substr(at + 2, n));
    at += 2 + n;
    return s;
}

}  // namespace

// The supply hash is appended, so rows of older versions decode (without a
// hash) and older versions read new rows.
std::string encode_token_meta(const TokenMeta& m) {
    std::string v;
    const auto flags = static_cast<uint8_t>(
        (m.name ? kHasName : 0) | (m.symbol ? kHasSymbol : 0) | (m.decimals ? kHasDecimals : 0) |
        (m.total_supply ? kHasSupply : 0) | (m.supply_hash ? kHasSupplyHash : 0) |
        (m.supply_fallback ? kSupplyFallback : 0));
    v.push_back(static_cast<char>(flags));
    append_be64(v, m.supply_block);
    v.push_back(static_cast<char>(m.decimals.value_or(0)));
    put_lp_string(v, m.name.value_or(""));
    put_lp_string(v, m.symbol.value_or(""));
    std::string supply = m.total_supply ? u256_to_min_be(*m.total_supply) : std::string();
    v.push_back(static_cast<char>(supply.size()));
    v += supply;
    if (m.supply_hash) put_bytes(v, m.supply_hash->bytes);
    return v;
}

std::optional<TokenMeta> decode_token_meta(std::string_view v) {
    if (v.size() < kTokenMetaFixedSize) return std::nullopt;
    TokenMeta m;
    const auto flags = static_cast<uint8_t>(v[0]);
    m.supply_block = load_be64(v, 1);
    if (flags & kHasDecimals) m.decimals = static_cast<uint8_t>(v[9]);
    size_t at = kTokenMetaFixedSize;
    auto name = get_lp_string(v, at);
    auto symbol = get_lp_string(v, at);
    if (!name || !symbol || at >= v.size()) return std::nullopt;
    if (flags & kHasName) m.name = std::move(name);
    if (flags & kHasSymbol) m.symbol = std::move(symbol);
    const size_t n = static_cast<uint8_t>(v[at]);
    if (at + 1 + n > v.size() || n > 32) return std::nullopt;
    if (flags & kHasSupply) m.total_supply = u256_from_min_be(v.substr(at + 1, n));
    at += 1 + n;
    if (flags & kHasSupplyHash) {
        if (at + kHashSize > v.size()) return std::nullopt;
        m.supply_hash = get_fixed<Hash>(v, at);
    }
    m.supply_fallback = (flags & kSupplyFallback) != 0;
    return m;
}

std::string metadata_task_key(bool full, const Address& token) {
    std::string k(1, full ? 'n' : 's');
    put_bytes(k, token.bytes);
    return k;
}

std::string encode_metadata_task(const MetadataTask& t) {
    std::string v;
    if (t.attempts == 0 && t.not_before_ms == 0) return v;
    v.push_back(static_cast<char>(t.attempts));
    append_be64(v, t.not_before_ms);
    return v;
}

std::optional<MetadataTask> decode_metadata_task(std::string_view key, std::string_view value) {
    if (key.size() != kTokenQueueKeySize || (key[0] != 'n' && key[0] != 's')) return std::nullopt;
    if (!value.empty() && value.size() != kTokenQueueRetrySize) return std::nullopt;
    MetadataTask t;
    t.full = key[0] == 'n';
    t.token = get_fixed<Address>(key, 1);
    if (!value.empty()) {
        t.attempts = static_cast<uint8_t>(value[0]);
        t.not_before_ms = load_be64(value, 1);
    }
    return t;
}

std::string fold_symbol(std::string_view symbol) {
    symbol = symbol.substr(0, std::min(symbol.find('\0'), kSymbolKeyMax));
    std::string out(symbol);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string symbol_key(std::string_view symbol, const Address& token) {
    std::string k = fold_symbol(symbol);
    if (k.empty()) return k;
    k.push_back('\0');
    put_bytes(k, token.bytes);
    return k;
}

bool valid_symbol_key(std::string_view key) {
    if (key.size() < 2 + kAddressSize || key.size() > kSymbolKeyMax + 1 + kAddressSize)
        return false;
    const std::string_view symbol = key.substr(0, key.size() - kAddressSize - 1);
    return key[symbol.size()] == '\0' && symbol.find('\0') == std::string_view::npos;
}

std::string token_rank_key(Ranking ranking, uint64_t count, const Address& token) {
    std::string k(1, static_cast<char>(ranking));
    append_be64(k, ~count);
    put_bytes(k, token.bytes);
    return k;
}

}  // namespace erc20::storage
