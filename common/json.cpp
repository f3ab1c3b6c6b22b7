#include "common/json.hpp"

namespace erc20 {
namespace {

bool plain(unsigned char b) noexcept { return b >= 0x20 && b < 0x7f && b != '"' && b != '\\'; }
bool continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// Length of the valid UTF-8 sequence at the start of `s` (a lead byte >= 0x80),
// or 0 when it is not one.
size_t utf8_length(std::string_view s) noexcept {
    const auto u = static_cast<unsigned char>(s[0]);
    const size_t len = (u & 0xe0) == 0xc0 ? 2 : (u & 0xf0) == 0xe0 ? 3 : (u & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > s.size() || u == 0xc0 || u == 0xc1 || u > 0xf4) return 0;
    for (size_t k = 1; k < len; ++k) {
        if (!continuation(s[k])) return 0;
    }
    const unsigned second = static_cast<unsigned char>(s[1]) & 0x3fu;
    if (len == 3) {
        const unsigned cp = (u & 0x0fu) << 12 | second << 6;
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return 0;  // overlong, surrogate
    }
    if (len == 4) {
        const unsigned cp = (u & 0x07u) << 18 | second << 12;
        if (cp < 0x10000 || cp > 0x10ffff) return 0;
    }
    return len;
}

void append_escape(std::string& out, char c) {
    static constexpr char kHex[] = "0123456789abcdef";
    switch (c) {
        case '"':
            out += "\\\"";
            return;
        case '\\':
            out += "\\\\";
            return;
        case '\n':
            out += "\\n";
            return;
        case '\r':
            out += "\\r";
            return;
        case '\t':
            out += "\\t";
            return;
        default: {
            const auto u = static_cast<unsigned char>(c);
            const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
            out.append(esc, sizeof esc);
        }
    }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        // Copy the run of characters that need no escaping in one go.
        size_t run = i;
        while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
        out.append(s.data() + i, run - i);
        i = run;
        if (i == s.size()) break;
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            append_escape(out, s[i]);
            ++i;
        } else if (const size_t len = utf8_length(s.substr(i))) {
            out.append(s.data() + i, len);
            i += len;
        } else {
            out += "\xef\xbf\xbd";
            ++i;
        }
    }
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    append_json_escaped(out, s);
    out += '"';
}

}  // namespace erc20
