#pragma once
// Heap handed back to the system after RocksDB's background work.
//
// A flush frees a memtable's arena (1 MiB blocks, below the 8 MiB mmap
// threshold app/main.cpp sets, so they come from the heap) after the new
// memtable has taken fresh blocks; a compaction frees its read and write
// buffers. glibc keeps such chunks in the middle of its heaps, where the top
// trim cannot reach them: in the soak, RSS rose by 10-36 MiB at a time, each
// time a flush or compaction ran, while mallinfo2's in-use figure moved by
// under 1 MiB and its free figure by the rest (docs/soak.md).

#include <memory>

#include <rocksdb/listener.h>

namespace erc20::storage {

/// An EventListener that calls malloc_trim(0) after each flush and each
/// compaction (on RocksDB's background thread; ~1 ms for a heap of tens of
/// MiB), so that RSS follows the memory in use rather than its peak.
[[nodiscard]] std::shared_ptr<rocksdb::EventListener> make_memory_trim_listener();

}  // namespace erc20::storage
