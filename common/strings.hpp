#pragma once
// Small string helpers shared by every module.

#include <string>
#include <string_view>

namespace erc20 {

/// ASCII lower case of `s`; other bytes (UTF-8 included) are copied as they are.
[[nodiscard]] std::string to_lower(std::string_view s);

/// Whether `s` starts with `prefix`, ASCII letters compared case-insensitively
/// (HTTP header names).
[[nodiscard]] bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept;

}  // namespace erc20
