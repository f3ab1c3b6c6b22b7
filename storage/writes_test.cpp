#include "storage/writes.hpp"

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <rocksdb/db.h>

using namespace erc20;
using namespace erc20::storage;

namespace {

using Row = std::pair<std::string, std::string>;  // key, value ("<range end" for a range deletion)

std::vector<Row> emitted(Writes& wb, Cf c) {
    std::vector<Row> out;
    wb.emit(c, [&](Writes::Type type, const rocksdb::Slice& key, const rocksdb::Slice& value) {
        std::string v = type == Writes::kPut      ? value.ToString()
                        : type == Writes::kDelete ? "-"
                                                  : "<" + value.ToString();
        out.emplace_back(key.ToString(), v);
    });
    return out;
}

}  // namespace

TEST_CASE("Writes hands rows over sorted by key, the last write of a key winning",
          "[storage][writes]") {
    Writes wb;
    wb.Put(kCfBalances, "b", "1");
    wb.Put(kCfBalances, "a", "2");
    wb.Delete(kCfBalances, "c");
    wb.Put(kCfBalances, "b", "3");
    wb.Put(kCfBalances, "c", "4");
    wb.DeleteRange(kCfBalances, "x", "z");
    CHECK(emitted(wb, kCfBalances) ==
          std::vector<Row>{{"x", "<z"}, {"a", "2"}, {"b", "3"}, {"c", "4"}});
    CHECK(wb.empty(kCfHolders));
    CHECK(emitted(wb, kCfHolders).empty());
}

TEST_CASE("Writes sorts ordered rows by their order, not by comparing keys", "[storage][writes]") {
    Writes wb;
    // Keys whose order is given by rank, then position: emitted in that order.
    std::vector<std::pair<uint64_t, std::string>> rows;
    std::mt19937 rng(7);
    for (uint32_t rank = 0; rank < 50; ++rank) {
        for (size_t pos = 0; pos < 20; ++pos) {
            char key[8];
            store_be32(key, rank);
            store_be32(key + 4, static_cast<uint32_t>(pos));
            rows.emplace_back(Writes::ordered(rank, pos), std::string(key, 8));
        }
    }
    std::vector<std::pair<uint64_t, std::string>> shuffled = rows;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (const auto& [order, key] : shuffled) wb.Put(kCfTokenTransfers, key, "", order);
    const auto out = emitted(wb, kCfTokenTransfers);
    REQUIRE(out.size() == rows.size());
    for (size_t i = 0; i < rows.size(); ++i) CHECK(out[i].first == rows[i].second);
}

TEST_CASE("Writes commits through a write batch and through ingested table files alike",
          "[storage][writes]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("erc20-writes-test-" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "ingest");
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    std::vector<rocksdb::Options> options;
    for (auto name : kCfNames) {
        families.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
        options.emplace_back(db_options, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(db_options, (dir / "db").string(), families, &cfs, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto read = [&](Cf c, const std::string& key) {
        std::string v;
        return db->Get(rocksdb::ReadOptions(), cfs[c], key, &v).ok() ? v : std::string("absent");
    };
    int befores = 0;
    {
        Writes wb;
        wb.Put(kCfMeta, "k", "batch");
        wb.Put(kCfTransfers, "t1", "one", 1);
        wb.commit(*db, cfs, "test batch", [&] { ++befores; });
    }
    {
        Writes wb;
        wb.Put(kCfMeta, "k", "ingested");
        wb.Delete(kCfTransfers, "t1", 0);
        wb.Put(kCfTransfers, "t2", "two", 1);
        uint64_t seq = 0;
        wb.ingest(*db, cfs, options, (dir / "ingest").string(), seq, "test ingest",
                  [&] { ++befores; });
        CHECK(seq == 2);
        CHECK(std::filesystem::is_empty(dir / "ingest"));  // the files moved in
    }
    CHECK(befores == 2);
    CHECK(read(kCfMeta, "k") == "ingested");
    CHECK(read(kCfTransfers, "t1") == "absent");
    CHECK(read(kCfTransfers, "t2") == "two");
    SECTION("a failure just before the commit writes nothing and leaves no file") {
        Writes wb;
        wb.Put(kCfMeta, "k", "lost");
        uint64_t seq = 0;
        CHECK_THROWS(wb.ingest(*db, cfs, options, (dir / "ingest").string(), seq, "test ingest",
                               [] { throw std::runtime_error("injected"); }));
        CHECK(std::filesystem::is_empty(dir / "ingest"));
        CHECK(read(kCfMeta, "k") == "ingested");
    }
    for (auto* h : cfs) (void)db->DestroyColumnFamilyHandle(h);
    db.reset();
    std::filesystem::remove_all(dir);
}
