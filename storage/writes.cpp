#include "storage/writes.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <future>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "storage/rocks.hpp"

namespace erc20::storage {

// By key, then in the order written.
void Writes::Family::sort() {
    if (!keyed) {
        sort_by_order();
        return;
    }
    auto less = [this](const Entry& a, const Entry& b) {
        int c = key(a).compare(key(b));
        return c != 0 ? c < 0 : a.seq < b.seq;
    };
    if (!std::is_sorted(entries.begin(), entries.end(), less))
        std::sort(entries.begin(), entries.end(), less);
}

void Writes::Family::sort_by_order() {
    auto by_order = [](const Entry& a, const Entry& b) {
        return a.order != b.order ? a.order < b.order : a.seq < b.seq;
    };
    if (std::is_sorted(entries.begin(), entries.end(), by_order)) return;
    // Orders are mostly rank << 32 | position: a stable counting sort by
    // rank, then the rare unsorted bucket sorted in place.
    uint64_t max_rank = 0;
    for (const Entry& e : entries) max_rank = std::max(max_rank, e.order >> 32);
    if (max_rank > 4 * entries.size() + 1024) {
        std::sort(entries.begin(), entries.end(), by_order);
        return;
    }
    std::vector<uint32_t> start(max_rank + 2, 0);
    for (const Entry& e : entries) ++start[(e.order >> 32) + 1];
    for (size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
    std::vector<Entry> out(entries.size());
    for (const Entry& e : entries) out[start[e.order >> 32]++] = e;
    entries.swap(out);
    for (size_t b = 0; b < entries.size();) {
        size_t e = b + 1;
        while (e < entries.size() && entries[e].order >> 32 == entries[b].order >> 32) ++e;
        const auto first = entries.begin() + static_cast<ptrdiff_t>(b);
        const auto last = entries.begin() + static_cast<ptrdiff_t>(e);
        if (!std::is_sorted(first, last, by_order)) std::sort(first, last, by_order);
        b = e;
    }
}

// Every range deletion, then the last point write of each key in key
// order: f(type, key, value), value being a range's end.
template <class F>
void Writes::Family::emit(F&& f) const {
    for (const Entry& e : entries) {
        if (e.type == kDeleteRange) f(e.type, key(e), value(e));
    }
    each_last([&](const Entry& e) { f(e.type, key(e), value(e)); });
}

// The last point write of each key, in key order.
template <class F>
void Writes::Family::each_last(F&& f) const {
    if (!keyed) {  // unique keys
        // Sorted entries point all over the arena: fetch rows ahead (a row
        // is at most two cache lines here).
        constexpr size_t kAhead = 16;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (i + kAhead < entries.size()) {
                const char* row = arena.data() + entries[i + kAhead].offset;
                __builtin_prefetch(row);
                __builtin_prefetch(row + 64);
            }
            f(entries[i]);
        }
        return;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
        const Entry& e = entries[i];
        if (e.type == kDeleteRange) continue;
        size_t j = i + 1;
        while (j < entries.size() && entries[j].type == kDeleteRange) ++j;
        if (j < entries.size() && key(entries[j]) == key(e)) continue;
        f(e);
    }
}

void Writes::emit(Cf c, const Emit& f) {
    families_[c].sort();
    families_[c].emit(f);
}

void Writes::commit(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                    std::string_view what, const std::function<void()>& before) {
    rocksdb::WriteBatch batch;
    for (size_t c = 0; c < kCfCount; ++c) {
        families_[c].sort();
        families_[c].emit([&](Type type, const rocksdb::Slice& key, const rocksdb::Slice& value) {
            if (type == kPut) check(batch.Put(cfs[c], key, value), "batch put");
            else if (type == kDelete)
                check(batch.Delete(cfs[c], key), "batch delete");
            else
                check(batch.DeleteRange(cfs[c], key, value), "batch delete range");
        });
    }
    rocksdb::WriteOptions wo;
    wo.memtable_insert_hint_per_batch = false;
    before();
    check(db.Write(wo, &batch), what);
}

void Writes::write_file(Family& f, const std::string& file, const rocksdb::Options& options,
                        rocksdb::ColumnFamilyHandle* cf) {
    f.sort();
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, cf, false);
    check(writer.Open(file), "write table file " + file);
    f.emit([&](Type type, const rocksdb::Slice& key, const rocksdb::Slice& value) {
        if (type == kPut) check(writer.Put(key, value), "write table file " + file);
        else if (type == kDelete)
            check(writer.Delete(key), "write table file " + file);
        else
            check(writer.DeleteRange(key, value), "write table file " + file);
    });
    check(writer.Finish(), "finish table file " + file);
}

// Each family's file is sorted and written on its own: two threads take the
// families in `order`.
void Writes::write_files(const std::vector<size_t>& order, const std::vector<std::string>& files,
                         const std::vector<rocksdb::Options>& options,
                         const std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i = next++; i < order.size(); i = next++) {
            const size_t c = order[i];
            write_file(families_[c], files[c], options[c], cfs[c]);
        }
    };
    auto helper = std::async(std::launch::async, work);
    std::exception_ptr failed;
    try {
        work();
    } catch (...) {
        failed = std::current_exception();
    }
    helper.get();  // rethrows the helper's failure
    if (failed) std::rethrow_exception(failed);
}

void Writes::ingest(rocksdb::DB& db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                    const std::vector<rocksdb::Options>& options, const std::string& dir,
                    uint64_t& seq, std::string_view what, const std::function<void()>& before) {
    std::vector<std::string> files(kCfCount);
    auto cleanup = [&] {
        std::error_code ec;
        for (const auto& file : files) {
            if (!file.empty()) std::filesystem::remove(file, ec);
        }
    };
    try {
        // The largest families first.
        std::vector<size_t> order;
        for (size_t c = 0; c < kCfCount; ++c) {
            if (!families_[c].entries.empty()) order.push_back(c);
        }
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return families_[a].arena.size() > families_[b].arena.size();
        });
        for (size_t c : order)
            files[c] = dir + "/" + std::to_string(++seq) + "-" + std::string(kCfNames[c]) + ".sst";
        write_files(order, files, options, cfs);
        std::vector<rocksdb::IngestExternalFileArg> args;
        for (size_t c : order) {
            rocksdb::IngestExternalFileArg arg;
            arg.column_family = cfs[c];
            arg.external_files = {files[c]};
            arg.options.move_files = true;
            arg.options.write_global_seqno = false;
            arg.options.allow_blocking_flush = true;
            arg.options.snapshot_consistency = true;
            args.push_back(std::move(arg));
        }
        before();
        if (!args.empty()) check(db.IngestExternalFiles(args), what);
    } catch (...) {
        cleanup();
        throw;
    }
    cleanup();
}

}  // namespace erc20::storage
