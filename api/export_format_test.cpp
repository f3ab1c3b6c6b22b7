#include "api/export_format.hpp"

#include <catch2/catch.hpp>

#include "api/columns.hpp"

using namespace erc20;

namespace {

// Every cell of `row` fits its column's Table Schema type: a string in a
// "string" or "datetime" column, a number in "integer" or "number", and a null
// never in "integer" (pandas' int64 refuses it).
void check_types(const api::Row& row) {
    for (const auto& [name, v] : row) {
        const auto type = api::table_type(name);
        INFO("column " << name << " is " << type);
        if (std::holds_alternative<std::string>(v)) CHECK((type == "string" || type == "datetime"));
        if (std::holds_alternative<uint64_t>(v)) CHECK((type == "integer" || type == "number"));
        if (std::holds_alternative<double>(v)) CHECK(type == "number");
        if (std::holds_alternative<std::monostate>(v)) CHECK(type != "integer");
    }
}

}  // namespace

TEST_CASE("table types fit the rows of every list, nulls included", "[api][export]") {
    storage::TokenStats s;
    storage::TokenMeta full{"Tether", "USDT", 6, U256(1000), 7, Hash{}, false};
    check_types(api::token_row(Address{}, s, full, Balance(3)));
    check_types(api::token_row(Address{}, s, std::nullopt, Balance(0)));  // unknown metadata
    check_types(api::holder_row(Address{}, Balance(5), nullptr));
    CHECK(api::table_type("balance") == "string");
    CHECK(api::table_type("value") == "string");
    CHECK(api::table_type("amount") == "string");
    CHECK(api::table_type("timestamp") == "number");  // null for a block without a known time
    CHECK(api::table_type("time") == "datetime");
    CHECK(api::table_type("log_index") == "integer");
}

TEST_CASE("a table export is one JSON document over any number of chunks", "[api][export]") {
    const api::Columns cols{"address", "balance", "time"};
    const api::Row a{{"address", std::string("0xaa")},
                     {"balance", std::string("57896044618658097711785492504343953926634992332"
                                             "820282019728792003956564819967")},
                     {"time", std::string("2023-11-14T22:13:20Z")}};
    const api::Row b{
        {"address", std::string("0xbb")}, {"balance", std::string("1")}, {"time", api::Field{}}};
    auto whole = [&](const std::vector<std::vector<api::Row>>& chunks) {
        api::ExportWriter w(api::ExportFormat::kTable, cols);
        std::string out;
        w.head(out);
        for (const auto& c : chunks) w.rows(out, c);
        w.tail(out);
        return out;
    };
    const std::string schema =
        R"({"schema":{"fields":[{"name":"address","type":"string"},)"
        R"({"name":"balance","type":"string"},{"name":"time","type":"datetime","tz":"UTC"}]},)"
        R"("data":[)"
        "\n";
    SECTION("rows over three chunks, one of them empty: commas between rows only") {
        api::JsonWriter ja, jb;
        api::write_row(ja, a);
        api::write_row(jb, b);
        CHECK(whole({{a}, {}, {b, a}}) ==
              schema + ja.str() + ",\n" + jb.str() + ",\n" + ja.str() + "\n]}\n");
        CHECK(jb.str() == R"({"address":"0xbb","balance":"1","time":null})");
    }
    SECTION("no rows: an empty data array") { CHECK(whole({}) == schema + "\n]}\n"); }
}

TEST_CASE("csv and ndjson exports are the rows' lines, csv under its header", "[api][export]") {
    const api::Row r{{"address", std::string("0xaa")}, {"balance", std::string("12")}};
    std::string csv, nd;
    api::ExportWriter c(api::ExportFormat::kCsv, {"address", "balance"});
    c.head(csv);
    c.rows(csv, {r, r});
    c.tail(csv);
    CHECK(csv == "address,balance\r\n0xaa,12\r\n0xaa,12\r\n");
    api::ExportWriter n(api::ExportFormat::kNdjson, {"address", "balance"});
    n.head(nd);
    n.rows(nd, {r});
    n.tail(nd);
    CHECK(nd == "{\"address\":\"0xaa\",\"balance\":\"12\"}\n");
    CHECK(api::export_format("table") == api::ExportFormat::kTable);
    CHECK_FALSE(api::export_format("json"));
    CHECK(api::file_extension(api::ExportFormat::kTable) == "json");
    CHECK(api::content_type(api::ExportFormat::kCsv) == "text/csv; charset=utf-8");
    CHECK(api::content_type(api::ExportFormat::kTable) == "application/vnd.dataresource+json");
}
