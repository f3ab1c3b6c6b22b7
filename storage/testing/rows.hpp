#pragma once
// Storage tests: the transfers and cursors their small chains are made of.

#include <cstdint>

#include "storage/store.hpp"

namespace erc20::storage::testing {

/// A mint of n units of `token` to holder n (its last byte) in block n.
inline Transfer mint(const Address& token, BlockNum n, uint32_t log_index = 0) {
    Transfer t;
    t.block_num = n;
    t.log_index = log_index;
    t.token = token;
    t.to.bytes[19] = static_cast<uint8_t>(n);
    t.value = U256(n);
    return t;
}

/// Block n's cursor, its hash naming n.
inline Cursor cursor_of(BlockNum n) {
    Cursor c{n, {}};
    c.hash.bytes[0] = static_cast<uint8_t>(n);
    return c;
}

}  // namespace erc20::storage::testing
