#include "storage/memory_trim.hpp"

#include <malloc.h>

namespace erc20::storage {
namespace {

class MemoryTrim final : public rocksdb::EventListener {
  public:
    const char* Name() const override { return "erc20::MemoryTrim"; }
    void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { malloc_trim(0); }
    void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
        malloc_trim(0);
    }
};

}  // namespace

std::shared_ptr<rocksdb::EventListener> make_memory_trim_listener() {
    return std::make_shared<MemoryTrim>();
}

}  // namespace erc20::storage
