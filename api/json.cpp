#include "api/json.hpp"

#include <cmath>
#include <cstdio>

#include "common/json.hpp"

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

void JsonWriter::append_string(std::string_view s) { append_json_string(out_, s); }

}  // namespace erc20::api
