#include "common/log.hpp"

#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "common/json.hpp"

namespace erc20::log {
namespace {

// The fields of the event being logged on this thread, as JSON members: set
// by event() around its one call of the logger, read by the formatter that
// runs inside that call. Lines logged otherwise have none.
thread_local std::string t_fields;

// %* in a pattern: the message escaped for a JSON string, so every log line
// in the JSON format is one valid JSON object whatever the message holds.
class JsonMessage : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        thread_local std::string escaped;
        escaped.clear();
        append_json_escaped(escaped, std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonMessage>();
    }
};

// %& in a pattern: the event's fields, each as ,"key":value.
class JsonFields : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg&, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        dest.append(t_fields.data(), t_fields.data() + t_fields.size());
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonFields>();
    }
};

// %@ in a pattern: the level as --log-level names it, padded to the width
// given in the pattern (%-5@).
class LevelName : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const std::string_view name = level_name(msg.level);
        dest.append(name.data(), name.data() + name.size());
        for (size_t n = name.size(); n < padinfo_.width_; ++n) dest.push_back(' ');
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<LevelName>();
    }
};

void append_value(std::string& out, const Field::Value& v) {
    if (const auto* b = std::get_if<bool>(&v)) {
        out += *b ? "true" : "false";
    } else if (const auto* u = std::get_if<uint64_t>(&v)) {
        out += std::to_string(*u);
    } else if (const auto* i = std::get_if<int64_t>(&v)) {
        out += std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&v)) {
        if (std::isfinite(*d)) out += fmt::format("{}", std::round(*d * 100) / 100);
        else
            out += "null";
    } else if (const auto* s = std::get_if<std::string_view>(&v)) {
        append_json_string(out, *s);
    } else {
        out += "null";
    }
}

}  // namespace

std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "critical";
        default:
            return "off";
    }
}

void set_format(spdlog::logger& logger, Format format) {
    if (format == Format::kJson) {
        auto formatter =
            std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        formatter->add_flag<JsonMessage>('*').add_flag<JsonFields>('&').add_flag<LevelName>('@');
        formatter->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%@","msg":"%*"%&})");
        logger.set_formatter(std::move(formatter));
    } else {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<LevelName>('@').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5@%$ %v");
        logger.set_formatter(std::move(formatter));
    }
}

void append_fields(std::string& out, std::initializer_list<Field> fields) {
    for (const Field& f : fields) {
        out += ',';
        append_json_string(out, f.key);
        out += ':';
        append_value(out, f.value);
    }
}

void event(spdlog::level::level_enum level, std::string_view msg,
           std::initializer_list<Field> fields) {
    auto logger = spdlog::default_logger_raw();
    if (!logger->should_log(level)) return;
    t_fields.clear();
    append_fields(t_fields, fields);
    logger->log(level, msg);
    t_fields.clear();
}

}  // namespace erc20::log
