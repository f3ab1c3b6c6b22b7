#pragma once
// Big-endian integers in bytes: the one place that turns integers into the
// byte order of RocksDB keys (bytewise order = numeric order), ABI words and
// the API's opaque positions, and back.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace erc20 {

namespace endian_detail {
template <class UInt>
constexpr UInt byteswap(UInt v) noexcept {
    static_assert(std::is_unsigned_v<UInt>);
    if constexpr (sizeof(UInt) == 8) return __builtin_bswap64(v);
    else if constexpr (sizeof(UInt) == 4)
        return __builtin_bswap32(v);
    else if constexpr (sizeof(UInt) == 2)
        return __builtin_bswap16(v);
    else
        return v;
}
template <class UInt>
constexpr UInt to_big(UInt v) noexcept {
    if constexpr (std::endian::native == std::endian::big) return v;
    else
        return byteswap(v);
}
}  // namespace endian_detail

/// The big-endian unsigned integer in the sizeof(UInt) bytes at `p`.
template <class UInt, class Byte>
[[nodiscard]] inline UInt load_be(const Byte* p) noexcept {
    static_assert(sizeof(Byte) == 1);
    UInt v;
    std::memcpy(&v, p, sizeof v);
    return endian_detail::to_big(v);
}

/// Writes `v` big-endian into the sizeof(UInt) bytes at `p`.
template <class UInt, class Byte>
inline void store_be(Byte* p, UInt v) noexcept {
    static_assert(sizeof(Byte) == 1);
    v = endian_detail::to_big(v);
    std::memcpy(p, &v, sizeof v);
}

template <class Byte>
[[nodiscard]] inline uint64_t load_be64(const Byte* p) noexcept {
    return load_be<uint64_t>(p);
}
template <class Byte>
[[nodiscard]] inline uint32_t load_be32(const Byte* p) noexcept {
    return load_be<uint32_t>(p);
}
template <class Byte>
[[nodiscard]] inline uint16_t load_be16(const Byte* p) noexcept {
    return load_be<uint16_t>(p);
}
template <class Byte>
inline void store_be64(Byte* p, uint64_t v) noexcept {
    store_be(p, v);
}
template <class Byte>
inline void store_be32(Byte* p, uint32_t v) noexcept {
    store_be(p, v);
}
template <class Byte>
inline void store_be16(Byte* p, uint16_t v) noexcept {
    store_be(p, v);
}

/// The big-endian integer at `s[at]`. REQUIRES: at + its size <= s.size().
[[nodiscard]] inline uint64_t load_be64(std::string_view s, size_t at = 0) noexcept {
    return load_be64(s.data() + at);
}
[[nodiscard]] inline uint32_t load_be32(std::string_view s, size_t at = 0) noexcept {
    return load_be32(s.data() + at);
}
[[nodiscard]] inline uint16_t load_be16(std::string_view s, size_t at = 0) noexcept {
    return load_be16(s.data() + at);
}

/// Appends `v` big-endian to `out`.
inline void append_be64(std::string& out, uint64_t v) {
    char b[8];
    store_be64(b, v);
    out.append(b, sizeof b);
}
inline void append_be32(std::string& out, uint32_t v) {
    char b[4];
    store_be32(b, v);
    out.append(b, sizeof b);
}
inline void append_be16(std::string& out, uint16_t v) {
    char b[2];
    store_be16(b, v);
    out.append(b, sizeof b);
}

}  // namespace erc20
