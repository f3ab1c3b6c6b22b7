#include "common/log.hpp"

#include <limits>
#include <memory>
#include <sstream>

#include <catch2/catch.hpp>
#include <simdjson.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

using namespace erc20;

namespace {
// The default logger writes into `out` in `format` at `level` while it lives.
class Captured {
  public:
    Captured(log::Format format, spdlog::level::level_enum level)
        : previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>(
            "log_test", std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
        log::set_format(*logger, format);
        logger->set_level(level);
        spdlog::set_default_logger(logger);
    }
    ~Captured() { spdlog::set_default_logger(previous_); }
    Captured(const Captured&) = delete;
    Captured& operator=(const Captured&) = delete;
    [[nodiscard]] std::string text() const { return out_.str(); }

  private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};
}  // namespace

TEST_CASE("level names are those of --log-level", "[common][log]") {
    CHECK(log::level_name(spdlog::level::trace) == "trace");
    CHECK(log::level_name(spdlog::level::debug) == "debug");
    CHECK(log::level_name(spdlog::level::info) == "info");
    CHECK(log::level_name(spdlog::level::warn) == "warn");
    CHECK(log::level_name(spdlog::level::err) == "error");
    for (auto l : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                   spdlog::level::warn, spdlog::level::err}) {
        CHECK(spdlog::level::from_str(std::string(log::level_name(l))) == l);
    }
}

TEST_CASE("a JSON log line carries an event's fields as typed keys", "[common][log]") {
    Captured c(log::Format::kJson, spdlog::level::info);
    const std::optional<uint64_t> none;
    log::event(spdlog::level::warn, "backfilling: block 120 of 500 \"quoted\"",
               {{"block", uint64_t{120}},
                {"to_block", 500},
                {"blocks_per_s", 41.456},
                {"eta_s", std::numeric_limits<double>::infinity()},
                {"state", "backfilling"},
                {"done", false},
                {"depth", none}});
    const std::string line = c.text();
    REQUIRE(!line.empty());
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(line).get(doc) == simdjson::SUCCESS);
    CHECK(std::string_view(doc["level"]) == "warn");
    CHECK(std::string_view(doc["msg"]) == "backfilling: block 120 of 500 \"quoted\"");
    CHECK(doc["time"].is_string());
    CHECK(doc["block"].is_uint64());
    CHECK(uint64_t(doc["block"]) == 120);
    CHECK(doc["to_block"].is_int64());
    CHECK(int64_t(doc["to_block"]) == 500);
    CHECK(doc["blocks_per_s"].is_double());
    CHECK(double(doc["blocks_per_s"]) == Approx(41.46));
    CHECK(doc["eta_s"].is_null());
    CHECK(std::string_view(doc["state"]) == "backfilling");
    CHECK(doc["done"].is_bool());
    CHECK(doc["depth"].is_null());
}

TEST_CASE("log lines without fields, and filtered events", "[common][log]") {
    SECTION("a plain spdlog line in JSON has time, level and msg only") {
        Captured c(log::Format::kJson, spdlog::level::info);
        log::event(spdlog::level::info, "with", {{"block", 1}});
        spdlog::error("plain {}", 7);
        std::istringstream lines(c.text());
        std::string first, second;
        std::getline(lines, first);
        std::getline(lines, second);
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        REQUIRE(parser.parse(second).get(doc) == simdjson::SUCCESS);
        CHECK(std::string_view(doc["level"]) == "error");
        CHECK(std::string_view(doc["msg"]) == "plain 7");
        CHECK(doc["block"].error() == simdjson::NO_SUCH_FIELD);
    }
    SECTION("below the level nothing is written") {
        Captured c(log::Format::kJson, spdlog::level::warn);
        log::event(spdlog::level::info, "hidden", {{"block", 1}});
        CHECK(c.text().empty());
    }
    SECTION("the text format shows the message with the level as --log-level says it") {
        Captured c(log::Format::kText, spdlog::level::info);
        log::event(spdlog::level::warn, "add-tokens: block 5 of 9", {{"block", 5}});
        spdlog::info("x");
        const std::string text = c.text();
        CHECK(text.find(" warn  add-tokens: block 5 of 9\n") != std::string::npos);
        CHECK(text.find(" info  x\n") != std::string::npos);
        CHECK(text.find("warning") == std::string::npos);
        CHECK(text.find("\"block\"") == std::string::npos);
    }
}
