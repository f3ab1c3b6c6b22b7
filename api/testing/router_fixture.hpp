#pragma once
// A router over a fresh database holding block 10: five transfers of token
// 0x…aa to holders 0x…01-0x…05 (100, 200, 300, 100, 200), the node at block 12.

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "api/routes.hpp"
#include "common/hex.hpp"

namespace erc20::api::testing {

struct RouterFixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("erc20-routes-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<storage::Store> store = storage::Store::open(dir.string(), {});
    std::unique_ptr<Router> router;
    Address token = *parse_address("0x00000000000000000000000000000000000000aa");

    explicit RouterFixture(RouterOptions options = {}) {
        store->bind_chain(31337);
        std::vector<storage::Transfer> ts;
        for (uint32_t i = 0; i < 5; ++i) {
            storage::Transfer t;
            t.block_num = 10;
            t.log_index = i;
            t.token = token;
            t.to.bytes[19] = static_cast<uint8_t>(i + 1);
            t.value = U256(100 * (i % 3 + 1));
            ts.push_back(t);
        }
        storage::Cursor head{10, {}};
        head.hash.bytes[0] = 0xab;
        store->apply(storage::BlockBatch{1, head, ts, {}, {{10, 1700000000}}, 0});
        router = std::make_unique<Router>(
            *store, [] { return NodeStatus{12, "following", true, 0, 0, 0}; }, std::move(options));
    }
    ~RouterFixture() {
        router.reset();  // releases pinned snapshots before the store closes
        store.reset();
        std::filesystem::remove_all(dir);
    }
    RouterFixture(const RouterFixture&) = delete;
    RouterFixture& operator=(const RouterFixture&) = delete;

    [[nodiscard]] Response get(const std::string& target) const {
        return router->handle("GET", target);
    }
};

}  // namespace erc20::api::testing
