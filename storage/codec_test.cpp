#include "storage/codec.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "storage/schema.hpp"

using namespace erc20;
using namespace erc20::storage;

TEST_CASE("balances round-trip through their encoding, sign included", "[storage][codec]") {
    for (const Balance& v : {Balance(1), Balance(-1), Balance(255), Balance(256), Balance(-65536),
                             Balance(U256(~U256(0))), Balance(-Balance(U256(~U256(0)))) * 3}) {
        auto decoded = decode_balance(encode_balance(v));
        REQUIRE(decoded);
        CHECK(*decoded == v);
    }
    CHECK(encode_balance(Balance(1)) == std::string("\x00\x01", 2));
    // The buffer form writes the same bytes.
    std::mt19937_64 rng(3);
    for (int i = 0; i < 2000; ++i) {
        Balance v = 0;
        for (int limb = 0, n = static_cast<int>(rng() % 9); limb < n; ++limb)
            v = (v << 64) | Balance(rng() >> (rng() % 64));
        if (rng() % 3 == 0) v = -v;
        char buf[kMaxBalanceBytes];
        CHECK(std::string(buf, encode_balance(v, buf)) == encode_balance(v));
        // Every magnitude length (0-64 bytes) decodes limb by limb to itself,
        // in the balances' values and complemented in the holders ranking's keys.
        CHECK(decode_balance(encode_balance(v)) == v);
        const Balance positive = v < 0 ? Balance(-v) : v;
        if (positive > 0) {
            Address holder;
            holder.bytes[3] = static_cast<uint8_t>(i);
            const auto item = decode_holder_rank_key(holder_rank_key(Address{}, positive, holder));
            REQUIRE(item);
            CHECK(item->balance == positive);
            CHECK(item->holder == holder);
        }
    }
    char zero[kMaxBalanceBytes];
    CHECK(std::string(zero, encode_balance(Balance(0), zero)) == encode_balance(Balance(0)));
    CHECK(encode_balance(Balance(-2)) == std::string("\x01\x02", 2));
}

TEST_CASE("corrupt balance values are rejected", "[storage][codec]") {
    CHECK_FALSE(decode_balance(""));
    CHECK_FALSE(decode_balance(std::string("\x02\x01", 2)));
    CHECK_FALSE(decode_balance(std::string(66, '\x01')));
}

TEST_CASE("holder rank keys sort by balance descending then holder ascending", "[storage][keys]") {
    Address token;
    token.bytes[0] = 7;
    std::mt19937_64 rng(42);
    struct Row {
        Balance balance;
        Address holder;
    };
    std::vector<Row> rows;
    for (int i = 0; i < 500; ++i) {
        Row r;
        int shift = static_cast<int>(rng() % 200);
        r.balance = (Balance(rng() % 1000 + 1) << shift);
        if (i % 10 == 0 && !rows.empty()) r.balance = rows.back().balance;  // ties
        r.holder.bytes[19] = static_cast<uint8_t>(rng());
        r.holder.bytes[0] = static_cast<uint8_t>(rng());
        rows.push_back(r);
    }
    std::vector<std::string> keys;
    keys.reserve(rows.size());
    for (const auto& r : rows) keys.push_back(holder_rank_key(token, r.balance, r.holder));
    std::vector<size_t> by_key(rows.size()), by_value(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) by_key[i] = by_value[i] = i;
    std::sort(by_key.begin(), by_key.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::sort(by_value.begin(), by_value.end(), [&](size_t a, size_t b) {
        if (rows[a].balance != rows[b].balance) return rows[a].balance > rows[b].balance;
        return rows[a].holder < rows[b].holder;
    });
    for (size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[by_key[i]].balance == rows[by_value[i]].balance);
        CHECK(rows[by_key[i]].holder == rows[by_value[i]].holder);
    }
}

TEST_CASE("transfer keys sort by block then log index", "[storage][keys]") {
    CHECK(transfer_key(1, 0xffffffff) < transfer_key(2, 0));
    CHECK(transfer_key(255, 0) < transfer_key(256, 0));
    CHECK(transfer_key(0x0100000000ull, 0) > transfer_key(0xffffffffull, 7));
    Address a;
    CHECK(history_key(a, a, 9) < history_key(a, a, 10));
    CHECK(block_key(1) < block_key(1ull << 40));
}

TEST_CASE("amount magnitudes are minimal big-endian", "[storage][codec]") {
    CHECK(u256_to_min_be(U256(0)).empty());
    CHECK(u256_to_min_be(U256(0x1234)) == "\x12\x34");
    CHECK(u256_from_min_be("\x12\x34") == U256(0x1234));
    U256 max = ~U256(0);
    CHECK(u256_from_min_be(u256_to_min_be(max)) == max);
}

TEST_CASE("epoch counts round-trip, and a 16-byte row from before min_live reads its live count",
          "[storage][codec]") {
    const EpochCounts c{9, 5, 3};
    const auto back = decode_epoch_counts(encode_epoch_counts(c));
    REQUIRE(back);
    CHECK(back->entries == 9);
    CHECK(back->live == 5);
    CHECK(back->min_live == 3);
    const auto current = decode_current_epoch(encode_current_epoch(CurrentEpoch{42, c}));
    REQUIRE(current);
    CHECK(current->start == 42);
    CHECK(current->counts.min_live == 3);
    const auto old = decode_epoch_counts(encode_epoch_counts(c).substr(0, 16));
    REQUIRE(old);
    CHECK(old->live == 5);
    CHECK(old->min_live == 5);
    CHECK_FALSE(decode_epoch_counts(std::string(20, '\0')));
    CHECK_FALSE(decode_current_epoch(std::string(4, '\0')));
}
