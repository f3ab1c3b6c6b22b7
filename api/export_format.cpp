#include "api/export_format.hpp"

#include <array>

#include "api/json.hpp"

namespace erc20::api {
namespace {

// Columns whose value is always a number (never null); the other numeric
// columns (timestamp, decimals, ...) may be null and are "number".
constexpr std::array<std::string_view, 14> kIntegerColumns{
    "block",   "start_block",   "log_index",   "holders",      "transfers",
    "senders", "receivers",     "new_holders", "gone_holders", "negative_balances",
    "tokens",  "active_tokens", "first_block", "last_block"};
constexpr std::array<std::string_view, 10> kNumberColumns{
    "timestamp", "period_start", "decimals", "total_supply_block", "top10_share", "gini",
    "nakamoto",  "hhi",          "share",    "percentile"};

bool in(std::string_view c, const auto& names) {
    for (auto n : names)
        if (n == c) return true;
    return false;
}

}  // namespace

std::optional<ExportFormat> export_format(std::string_view name) {
    if (name == "ndjson") return ExportFormat::kNdjson;
    if (name == "csv") return ExportFormat::kCsv;
    if (name == "table") return ExportFormat::kTable;
    return std::nullopt;
}

std::string_view content_type(ExportFormat f) {
    switch (f) {
        case ExportFormat::kCsv:
            return "text/csv; charset=utf-8";
        case ExportFormat::kTable:
            return "application/vnd.dataresource+json";
        case ExportFormat::kNdjson:
            break;
    }
    return "application/x-ndjson";
}

std::string_view file_extension(ExportFormat f) {
    switch (f) {
        case ExportFormat::kCsv:
            return "csv";
        case ExportFormat::kTable:
            return "json";
        case ExportFormat::kNdjson:
            break;
    }
    return "ndjson";
}

std::string_view table_type(std::string_view column) {
    if (column == "time") return "datetime";
    if (in(column, kIntegerColumns)) return "integer";
    if (in(column, kNumberColumns)) return "number";
    return "string";
}

void ExportWriter::head(std::string& out) const {
    if (format_ == ExportFormat::kCsv) {
        append_csv_header(out, columns_);
    } else if (format_ == ExportFormat::kTable) {
        JsonWriter w;
        w.begin_object().key("fields").begin_array();
        for (auto c : columns_) {
            w.begin_object().field("name", c).field("type", table_type(c));
            if (c == "time") w.field("tz", "UTC");
            w.end_object();
        }
        w.end_array().end_object();
        out += R"({"schema":)";
        out += w.str();
        out += R"(,"data":[)";
        out += '\n';
    }
}

void ExportWriter::rows(std::string& out, const std::vector<Row>& rows) {
    for (const auto& row : rows) {
        switch (format_) {
            case ExportFormat::kCsv:
                append_csv_row(out, row);
                break;
            case ExportFormat::kNdjson:
                append_ndjson_row(out, row);
                break;
            case ExportFormat::kTable: {
                if (any_row_) out += ",\n";
                JsonWriter w;
                write_row(w, row);
                out += w.str();
                break;
            }
        }
        any_row_ = true;
    }
}

void ExportWriter::tail(std::string& out) const {
    if (format_ == ExportFormat::kTable) out += "\n]}\n";
}

}  // namespace erc20::api
