#pragma once
// The memory figures of /metrics: what RocksDB holds (by kind) and what the
// allocator holds, so that an operator can tell a cache filling up from heap
// kept by malloc after large short-lived allocations (docs/soak.md).

#include <string>

#include "storage/store.hpp"

namespace erc20::api {

/// Two gauge families in the text exposition format:
///   erc20_rocksdb_memory_bytes{kind="memtables"|"table_readers"|"block_cache"|"block_cache_pinned"}
///   erc20_malloc_bytes{kind="in_use"|"free"|"mmapped"}  (glibc mallinfo2, all arenas; "free" is
///   heap the allocator keeps without handing it back to the system)
[[nodiscard]] std::string render_memory_metrics(const storage::Store::Memory& rocksdb);

}  // namespace erc20::api
