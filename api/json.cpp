#include "api/json.hpp"

#include <charconv>
#include <cmath>

#include "common/json.hpp"

namespace erc20::api {

JsonWriter& JsonWriter::number(double v) {
    value_prefix();
    if (!std::isfinite(v)) {
        out_ += "null";
        return *this;
    }
    // The shortest text that reads back as the same double (0.1, not 0.10000000000000001),
    // fixed down to 0.0001 as printf's %g.
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general).ptr;
    out_.append(buf, end);
    return *this;
}

void JsonWriter::append_string(std::string_view s) { append_json_string(out_, s); }

}  // namespace erc20::api
