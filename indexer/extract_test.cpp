#include "indexer/extract.hpp"

#include <catch2/catch.hpp>

#include "common/hex.hpp"

using namespace erc20;
using namespace erc20::indexer;

namespace {
rpc::Log erc20_log() {
    rpc::Log log;
    log.block_num = 10;
    log.log_index = 3;
    log.address.bytes[0] = 0xaa;
    log.topic_count = 3;
    log.topics[0] = kTransferTopic;
    log.topics[1].bytes[31] = 0x01;  // from ...01
    log.topics[2].bytes[31] = 0x02;  // to   ...02
    log.data_size = 32;
    log.data_word[31] = 100;
    return log;
}
}  // namespace

TEST_CASE("the transfer topic is keccak256 of the event signature", "[indexer][extract]") {
    CHECK(to_hex(kTransferTopic) ==
          "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}

TEST_CASE("a 3-topic, 32-byte Transfer log is an ERC20 transfer", "[indexer][extract]") {
    auto t = extract_transfer(erc20_log());
    REQUIRE(t);
    CHECK(t->block_num == 10);
    CHECK(t->log_index == 3);
    CHECK(t->from.bytes[19] == 1);
    CHECK(t->to.bytes[19] == 2);
    CHECK(t->value == 100);
    CHECK(t->token.bytes[0] == 0xaa);
}

TEST_CASE("other shapes with the Transfer topic are not ERC20 transfers", "[indexer][extract]") {
    auto log = erc20_log();
    SECTION("ERC721: 4 topics, no data") {
        log.topic_count = 4;
        log.data_size = 0;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("4 topics with 32 bytes of data") {
        log.topic_count = 4;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("value not indexed but 64 bytes of data") {
        log.data_size = 64;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("2 topics") {
        log.topic_count = 2;
        log.data_size = 64;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("empty data") {
        log.data_size = 0;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("another topic0") {
        log.topics[0].bytes[0] ^= 1;
        CHECK_FALSE(extract_transfer(log));
    }
    SECTION("a topic that is not an address") {
        log.topics[1].bytes[0] = 1;
        CHECK_FALSE(extract_transfer(log));
    }
}

TEST_CASE("mints and burns keep the zero address as counterpart", "[indexer][extract]") {
    auto log = erc20_log();
    log.topics[1] = Hash{};
    auto t = extract_transfer(log);
    REQUIRE(t);
    CHECK(t->from.is_zero());
}
