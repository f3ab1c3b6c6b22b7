#pragma once
// Log lines with fields. The text format shows a readable message; the JSON
// format (--log-format json) writes one object per line,
//   {"time":"...","level":"info","msg":"...","block":120,"blocks_per_s":41.5}
// with each field of log::event as a key of its own (numbers as JSON
// numbers), so that a log pipeline reads figures without parsing the text.
// Level names are those --log-level takes: trace, debug, info, warn, error
// (and critical), in both formats.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <spdlog/common.h>
#include <spdlog/logger.h>

namespace erc20::log {

enum class Format { kText, kJson };

/// The name of `level` as --log-level spells it ("warn", not spdlog's "warning").
[[nodiscard]] std::string_view level_name(spdlog::level::level_enum level);

/// Sets the pattern of `logger` (and its sinks) for `format`: text
/// "2024-05-01 12:00:00.123 warn  message" (local time), JSON one object per
/// line with time (UTC, ISO 8601), level, msg and the event's fields.
/// REQUIRES: a synchronous logger (the fields reach the formatter on the
/// logging thread).
void set_format(spdlog::logger& logger, Format format);

/// One field of an event: a key and a number, a string, a bool or null.
struct Field {
    using Value = std::variant<std::monostate, bool, uint64_t, int64_t, double, std::string_view>;

    template <class T>
    Field(std::string_view k, const T& v) : key(k), value(to_value(v)) {}

    std::string_view key;  // REQUIRES: not time, level or msg
    Value value;

  private:
    template <class T>
    static Value to_value(const std::optional<T>& v) {
        return v ? to_value(*v) : Value{};
    }
    template <class T>
    static Value to_value(const T& v) {
        if constexpr (std::is_same_v<T, bool>) return Value{v};
        else if constexpr (std::is_floating_point_v<T>)
            return Value{static_cast<double>(v)};
        else if constexpr (std::signed_integral<T>)
            return Value{static_cast<int64_t>(v)};
        else if constexpr (std::unsigned_integral<T>)
            return Value{static_cast<uint64_t>(v)};
        else
            return Value{std::string_view(v)};
    }
};

/// Appends `fields` to `out` as JSON members, each as ,"key":value. A double
/// is rounded to 2 decimals; NaN and infinities are null.
void append_fields(std::string& out, std::initializer_list<Field> fields);

/// Logs `msg` at `level` on the default logger, with `fields`: in the JSON
/// format as keys of the line beside msg, in the text format not shown (the
/// message says the figures in words).
void event(spdlog::level::level_enum level, std::string_view msg,
           std::initializer_list<Field> fields);

}  // namespace erc20::log
