#pragma once
// A fresh folder for one test's database, removed at the end; on tmpfs when
// there is one (these tests make many fsyncs).

#include <filesystem>
#include <random>
#include <string>

namespace erc20::indexer::testing {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        const std::filesystem::path shm = "/dev/shm";
        std::error_code ec;
        path = (std::filesystem::is_directory(shm, ec) ? shm
                                                       : std::filesystem::temp_directory_path()) /
               ("erc20-indexer-test-" + std::to_string(std::random_device{}()));
        std::filesystem::remove_all(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace erc20::indexer::testing
