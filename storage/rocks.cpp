#include "storage/rocks.hpp"

#include <span>

#include <spdlog/spdlog.h>

#include "common/hex.hpp"
#include "common/metrics.hpp"

namespace erc20::storage {

void check(const rocksdb::Status& s, std::string_view what) {
    if (!s.ok()) {
        throw StoreError(std::string(what) + ": " + s.ToString(),
                         s.IsIOError() ? StoreError::Kind::kIo : StoreError::Kind::kOther);
    }
}

void corrupt_row(Cf family, std::string_view key, const std::string& db_path,
                 std::string_view why) {
    const std::string_view name = kCfNames[family];
    const std::string key_hex =
        to_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
    std::string message =
        "corrupt " + std::string(name) + " row, key " + key_hex + ", in " + db_path;
    if (!why.empty()) message += ": " + std::string(why);
    spdlog::error("{}", message);
    metrics::registry().inc("erc20_store_corrupt_rows_total",
                            "Rows of the database that did not decode, by family",
                            "family=\"" + std::string(name) + "\"");
    throw StoreError(message);
}

}  // namespace erc20::storage
