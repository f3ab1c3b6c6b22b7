#pragma once
// The formats a whole list streams in (?format=ndjson|csv|table): how an
// export begins, carries a chunk of rows and ends, its Content-Type and the
// extension of its file name. `table` is a JSON Table Schema document,
// {"schema":{"fields":[...]},"data":[...]}: pandas' read_json(url,
// orient="table") types every column by the schema, so raw amounts stay
// exact strings where a default read_json or read_csv makes floats of them.
// Its media type is application/vnd.dataresource+json, the one Jupyter and
// pandas give this document.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/rows.hpp"

namespace erc20::api {

enum class ExportFormat { kNdjson, kCsv, kTable };

/// "ndjson", "csv" or "table"; anything else (json included) is none.
[[nodiscard]] std::optional<ExportFormat> export_format(std::string_view name);
[[nodiscard]] std::string_view content_type(ExportFormat f);
/// The file name's extension: ndjson, csv, json.
[[nodiscard]] std::string_view file_extension(ExportFormat f);

/// The Table Schema type of a column: "integer" for counts and block numbers
/// that are never null, "number" for numbers that may be null (pandas' int64
/// holds no null) and shares, "datetime" for `time`, "string" for the rest
/// (addresses, hashes, names and every amount).
[[nodiscard]] std::string_view table_type(std::string_view column);

/// Writes an export of `columns` chunk by chunk: head() once, rows() per
/// chunk, tail() once.
class ExportWriter {
  public:
    ExportWriter(ExportFormat f, Columns columns) : format_(f), columns_(std::move(columns)) {}

    void head(std::string& out) const;
    void rows(std::string& out, const std::vector<Row>& rows);
    void tail(std::string& out) const;

  private:
    ExportFormat format_;
    Columns columns_;
    bool any_row_{false};
};

}  // namespace erc20::api
