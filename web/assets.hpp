#pragma once
// The dashboard's files, embedded at build time (cmake/embed_assets.cmake
// from web/): the page at / and its scripts and styles under /assets/ with
// content hashes in their names.

#include <span>
#include <string_view>

namespace erc20::web {

struct Asset {
    std::string_view path;          // "/" or "/assets/app.0123456789abcdef.js"
    std::string_view content_type;  // with charset for text
    std::string_view body;
    std::string_view etag;  // quoted: "\"0123456789abcdef\""
    bool immutable;         // a hashed name: cached for a year, never revalidated
};

/// Every embedded file, the page first.
[[nodiscard]] std::span<const Asset> assets();

}  // namespace erc20::web
