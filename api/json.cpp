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
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
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
