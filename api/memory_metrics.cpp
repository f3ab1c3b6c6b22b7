#include "api/memory_metrics.hpp"

#include <malloc.h>

#include <cstdint>
#include <initializer_list>
#include <utility>

namespace erc20::api {
namespace {

void family(std::string& out, const char* name, const char* help,
            std::initializer_list<std::pair<const char*, uint64_t>> values) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
    for (const auto& [kind, v] : values) {
        out += std::string(name) + "{kind=\"" + kind + "\"} " + std::to_string(v) + "\n";
    }
}

}  // namespace

std::string render_memory_metrics(const storage::Store::Memory& rocksdb) {
    std::string out;
    family(out, "erc20_rocksdb_memory_bytes",
           "memory RocksDB holds: memtables, table readers outside the block cache, block cache "
           "usage and its "
           "pinned part",
           {{"memtables", rocksdb.memtables},
            {"table_readers", rocksdb.table_readers},
            {"block_cache", rocksdb.block_cache},
            {"block_cache_pinned", rocksdb.block_cache_pinned}});
    // One walk over every arena's free lists: cheap next to a scrape.
    const struct mallinfo2 mi = mallinfo2();
    family(out, "erc20_malloc_bytes",
           "heap of the allocator (glibc mallinfo2, all arenas): in use, free but kept, in mmapped "
           "chunks",
           {{"in_use", mi.uordblks}, {"free", mi.fordblks}, {"mmapped", mi.hblkhd}});
    return out;
}

}  // namespace erc20::api
