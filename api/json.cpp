#include "api/json.hpp"

#include <cmath>
#include <cstdio>

namespace erc20::api {

JsonWriter& JsonWriter::number(double v) {
    value_prefix();
    if (!std::isfinite(v)) {
        out_ += "null";
        return *this;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    out_ += buf;
    return *this;
}

void JsonWriter::append_string(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_ += '"';
    for (size_t i = 0; i < s.size(); ++i) {
        // Copy the run of characters that need no escaping in one go.
        size_t run = i;
        while (run < s.size()) {
            auto b = static_cast<unsigned char>(s[run]);
            if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') break;
            ++run;
        }
        if (run > i) {
            out_.append(s.data() + i, run - i);
            i = run;
            if (i == s.size()) break;
        }
        const char c = s[i];
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            // Copy a valid UTF-8 sequence; replace anything else with U+FFFD, so
            // an answer that echoes raw input is still valid JSON text.
            size_t len = (u & 0xe0) == 0xc0 ? 2 : (u & 0xf0) == 0xe0 ? 3 : (u & 0xf8) == 0xf0 ? 4 : 0;
            bool ok = len != 0 && i + len <= s.size() && u != 0xc0 && u != 0xc1 && u <= 0xf4;
            for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
            if (ok && len == 3) {
                unsigned cp = (u & 0x0fu) << 12 | (static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6;
                ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
            }
            if (ok && len == 4) {
                unsigned cp = (u & 0x07u) << 18 | (static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 12;
                ok = cp >= 0x10000 && cp <= 0x10ffff;
            }
            if (ok) {
                out_.append(s.data() + i, len);
                i += len - 1;
            } else {
                out_ += "\xef\xbf\xbd";
            }
            continue;
        }
        switch (c) {
            case '"': out_ += "\\\""; break;
            case '\\': out_ += "\\\\"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\t': out_ += "\\t"; break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    out_ += "\\u00";
                    out_ += kHex[u >> 4];
                    out_ += kHex[u & 0xf];
                } else {
                    out_ += c;
                }
        }
    }
    out_ += '"';
}

}  // namespace erc20::api
