#include "storage/codec.hpp"

#include <iterator>
#include <limits>

namespace erc20::storage {
namespace mp = boost::multiprecision;
using U512 = mp::uint512_t;

namespace {
template <class Unsigned>
std::string to_min_be(const Unsigned& v) {
    std::string out;
    if (v == 0) return out;
    mp::export_bits(v, std::back_inserter(out), 8);
    return out;
}
// A big-endian magnitude of at most Unsigned's bytes, straight into its
// 64-bit limbs (least significant first); every byte complemented when
// `flip` is 0xff. import_bits went bit-group by bit-group and was 8% of a
// distribution's walk.
template <class Unsigned>
Unsigned from_min_be(std::string_view s, uint8_t flip = 0) {
    constexpr size_t kBytes = std::numeric_limits<Unsigned>::digits / 8;
    if (s.size() > kBytes) s.remove_prefix(s.size() - kBytes);  // callers check; wrap as unchecked
    Unsigned v = 0;
    if (s.empty()) return v;
    auto& b = v.backend();
    const auto limbs = static_cast<unsigned>((s.size() + 7) / 8);
    b.resize(limbs, limbs);
    for (size_t i = 0; i < limbs; ++i) {
        const size_t end = s.size() - 8 * i;
        const size_t begin = end > 8 ? end - 8 : 0;
        uint64_t limb = 0;
        for (size_t k = begin; k < end; ++k)
            limb = (limb << 8) | (static_cast<uint8_t>(s[k]) ^ flip);
        b.limbs()[i] = limb;
    }
    b.normalize();
    return v;
}
}  // namespace

std::string u256_to_min_be(const U256& v) { return to_min_be(v); }
U256 u256_from_min_be(std::string_view s) { return from_min_be<U256>(s.substr(0, 32)); }

size_t encode_balance(const Balance& v, char* out) noexcept {
    // Straight from the magnitude's 64-bit limbs (least significant first):
    // no intermediate string on the writer's hottest path.
    out[0] = v < 0 ? '\x01' : '\x00';
    const auto& backend = v.backend();
    const auto* limbs = backend.limbs();
    size_t len = 1;
    bool started = false;
    for (size_t i = backend.size(); i-- > 0;) {
        const uint64_t limb = limbs[i];
        for (int b = 7; b >= 0; --b) {
            const auto byte = static_cast<uint8_t>(limb >> (8 * b));
            if (!started && byte == 0) continue;
            started = true;
            out[len++] = static_cast<char>(byte);
        }
    }
    return len;
}

std::string balance_magnitude(const Balance& positive) {
    return to_min_be(static_cast<U512>(positive < 0 ? Balance(-positive) : positive));
}

std::string encode_balance(const Balance& v) {
    std::string out;
    out.push_back(v < 0 ? '\x01' : '\x00');
    out += balance_magnitude(v);
    return out;
}

std::optional<Balance> decode_balance(std::string_view s) {
    if (s.empty() || s.size() > 65 || (s[0] != 0 && s[0] != 1)) return std::nullopt;
    Balance mag = static_cast<Balance>(from_min_be<U512>(s.substr(1)));
    return s[0] == 1 ? Balance(-mag) : mag;
}

std::optional<Balance> decode_complemented_magnitude(std::string_view s) {
    if (s.size() > 64) return std::nullopt;
    return static_cast<Balance>(from_min_be<U512>(s, 0xff));
}

void put_lp_balance(std::string& out, const Balance& nonneg) {
    std::string mag = balance_magnitude(nonneg);
    out.push_back(static_cast<char>(mag.size()));
    out += mag;
}

std::optional<Balance> get_lp_balance(std::string_view s, size_t& at) {
    if (at >= s.size()) return std::nullopt;
    size_t len = static_cast<uint8_t>(s[at]);
    if (len > 64 || at + 1 + len > s.size()) return std::nullopt;
    Balance v = static_cast<Balance>(from_min_be<U512>(s.substr(at + 1, len)));
    at += 1 + len;
    return v;
}

}  // namespace erc20::storage
