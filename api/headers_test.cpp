// The headers beside the body: X-Indexed-Block, Content-Disposition, CORS,
// gzip, and the families of /metrics an operator alerts on.
#include <catch2/catch.hpp>
#include <zlib.h>

#include "api/answer_headers.hpp"
#include "api/gzip.hpp"
#include "api/testing/router_fixture.hpp"

using namespace erc20;
using Fixture = api::testing::RouterFixture;

namespace {

const std::string kToken = "0x00000000000000000000000000000000000000aa";

std::string header(const api::Response& r, std::string_view name) {
    const std::string* v = api::find_header(r, name);
    return v ? *v : "(none)";
}

std::string gunzip(const std::string& in) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(in.size() * 20 + 1024, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    CHECK((rc == Z_OK || rc == Z_STREAM_END));
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return out;
}

api::Response call(const Fixture& f, std::string_view method, std::string_view target,
                   std::string_view origin) {
    return f.router->handle(api::Request{method, target, {}, {}, origin});
}

}  // namespace

TEST_CASE("every data answer names the indexed block and hash it was read at", "[api][headers]") {
    Fixture f;
    const std::string hash = "0xab" + std::string(62, '0');
    for (const std::string& target : std::vector<std::string>{
             "/v1/status", "/v1/tokens", "/v1/tokens/" + kToken,
             "/v1/tokens/" + kToken + "/holders", "/v1/tokens/" + kToken + "/holders?format=csv",
             "/v1/tokens/0x01"}) {
        INFO(target);
        auto r = f.get(target);
        CHECK(header(r, "X-Indexed-Block") == "10");
        CHECK(header(r, "x-indexed-block-hash") == hash);
    }
    CHECK(header(f.get("/healthz"), "X-Indexed-Block") == "(none)");
}

TEST_CASE("exports are attachments named after the route, its addresses and the block",
          "[api][headers]") {
    Fixture f;
    auto holders = f.get("/v1/tokens/" + kToken + "/holders?format=csv");
    CHECK(header(holders, "Content-Disposition") ==
          "attachment; filename=\"" + kToken + "-holders-10.csv\"");
    CHECK(header(f.get("/v1/tokens?format=ndjson"), "Content-Disposition") ==
          "attachment; filename=\"tokens-10.ndjson\"");
    CHECK(header(f.get("/v1/tokens/" + kToken + "/holders?format=csv&block=9"),
                 "Content-Disposition") == "attachment; filename=\"" + kToken + "-holders-9.csv\"");
    CHECK(header(f.get("/v1/series?format=csv&step=1"), "Content-Disposition") ==
          "attachment; filename=\"series-10.csv\"");
    CHECK(header(f.get("/v1/tokens/" + kToken + "/holders"), "Content-Disposition") == "(none)");
    const std::vector<Address> two{*parse_address("0x0000000000000000000000000000000000000001"),
                                   *parse_address(kToken)};
    CHECK(api::export_disposition("/v1/accounts/{account}/tokens/{token}/history", two, 7,
                                  "ndjson") ==
          "attachment; filename=\"0x0000000000000000000000000000000000000001-" + kToken +
              "-history-7.ndjson\"");
}

TEST_CASE("CORS: off by default, the listed origins only, never on admin routes",
          "[api][headers][cors]") {
    const std::string holders = "/v1/tokens/" + kToken + "/holders";
    SECTION("a default router sends no CORS header and refuses preflights") {
        Fixture f;
        auto pre = call(f, "OPTIONS", holders, "http://localhost:8888");
        CHECK(pre.status == 405);
        auto r = call(f, "GET", holders, "http://localhost:8888");
        CHECK(r.status == 200);
        CHECK(header(r, "Access-Control-Allow-Origin") == "(none)");
        CHECK(header(r, "Vary") == "(none)");
    }
    SECTION("a listed origin") {
        api::RouterOptions o;
        o.cors_origins = {"http://localhost:8888"};
        o.admin_token = "0123456789abcdef";
        o.admin = [](const std::string&, const std::map<std::string, std::string>&) {
            return api::AdminAnswer{200, "{}"};
        };
        Fixture f(o);
        auto pre = call(f, "OPTIONS", holders + "?limit=5", "http://localhost:8888");
        CHECK(pre.status == 204);
        CHECK(header(pre, "Access-Control-Allow-Origin") == "http://localhost:8888");
        CHECK(header(pre, "Access-Control-Allow-Methods") == "GET, HEAD");
        CHECK(header(pre, "Access-Control-Allow-Headers") == "Authorization, If-None-Match");
        auto r = call(f, "GET", holders, "http://localhost:8888");
        CHECK(header(r, "Access-Control-Allow-Origin") == "http://localhost:8888");
        CHECK(header(r, "Access-Control-Expose-Headers").find("X-Indexed-Block") !=
              std::string::npos);
        CHECK(header(r, "Vary") == "Origin");
        // Errors carry it too, so that the page can read the message.
        auto bad = call(f, "GET", holders + "?limit=0", "http://localhost:8888");
        CHECK(bad.status == 400);
        CHECK(header(bad, "Access-Control-Allow-Origin") == "http://localhost:8888");

        auto other = call(f, "OPTIONS", holders, "http://evil.example");
        CHECK(other.status == 403);
        CHECK(other.body.find("\"origin_not_allowed\"") != std::string::npos);
        CHECK(header(other, "Access-Control-Allow-Origin") == "(none)");
        CHECK(header(call(f, "GET", holders, "http://evil.example"),
                     "Access-Control-Allow-Origin") == "(none)");
        CHECK(call(f, "OPTIONS", "/v1/nope", "http://localhost:8888").status == 404);

        auto admin = f.router->handle(api::Request{
            "POST", "/admin/v1/compact", {}, "Bearer 0123456789abcdef", "http://localhost:8888"});
        CHECK(admin.status == 200);
        CHECK(header(admin, "Access-Control-Allow-Origin") == "(none)");
        CHECK(f.router
                  ->handle(api::Request{"OPTIONS",
                                        "/admin/v1/compact",
                                        {},
                                        "Bearer 0123456789abcdef",
                                        "http://localhost:8888"})
                  .status == 405);
    }
    SECTION("*") {
        api::RouterOptions o;
        o.cors_origins = {"*"};
        Fixture f(o);
        CHECK(header(call(f, "GET", "/v1/status", "https://Notebook.Example:8443"),
                     "Access-Control-Allow-Origin") == "https://Notebook.Example:8443");
        CHECK(call(f, "OPTIONS", "/v1/status", "").status == 403);
    }
}

TEST_CASE("gzip: Accept-Encoding parsing, whole bodies and flushed chunks decode",
          "[api][headers][gzip]") {
    CHECK(api::accepts_gzip("gzip"));
    CHECK(api::accepts_gzip("gzip, deflate, br"));
    CHECK(api::accepts_gzip("br;q=1.0, GZIP;q=0.5"));
    CHECK(api::accepts_gzip("*"));
    CHECK_FALSE(api::accepts_gzip(""));
    CHECK_FALSE(api::accepts_gzip("deflate, br"));
    CHECK_FALSE(api::accepts_gzip("gzip;q=0"));
    CHECK_FALSE(api::accepts_gzip("gzip; q=0.000, *"));
    CHECK_FALSE(api::accepts_gzip("*;q=0"));
    CHECK_FALSE(api::accepts_gzip("gzipx"));

    std::string body;
    for (int i = 0; i < 20000; ++i) body += "0x" + std::to_string(i * 7919) + ",1234567890\r\n";
    const std::string whole = api::gzip(body);
    CHECK(whole.size() < body.size() / 3);
    CHECK(gunzip(whole) == body);

    // Chunk by chunk: each flushed part decodes to everything written so far.
    api::GzipStream g;
    std::string encoded;
    for (size_t at = 0; at < body.size(); at += 65536) {
        g.write(std::string_view(body).substr(at, 65536), false, encoded);
        CHECK(gunzip(encoded) == body.substr(0, std::min(body.size(), at + 65536)));
    }
    g.write({}, true, encoded);
    CHECK(gunzip(encoded) == body);
}

TEST_CASE("/metrics: the state, the build, the process and the head's timestamp",
          "[api][headers][metrics]") {
    api::RouterOptions o;
    o.version = "9.9.9";
    o.states = {"starting", "backfilling", "following", "error"};
    o.build_info = {{"version", "9.9.9"}, {"schema", "4"}};
    Fixture f(o);
    const std::string m = f.get("/metrics").body;
    CHECK(m.find("erc20_state{state=\"following\"} 1\n") != std::string::npos);
    CHECK(m.find("erc20_state{state=\"error\"} 0\n") != std::string::npos);
    CHECK(m.find("erc20_state{state=\"starting\"} 0\n") != std::string::npos);
    CHECK(m.find("erc20_build_info{version=\"9.9.9\",schema=\"4\"} 1\n") != std::string::npos);
    CHECK(m.find("erc20_indexed_block_timestamp_seconds 1700000000\n") != std::string::npos);
    for (const char* family :
         {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
          "process_max_fds ", "process_start_time_seconds "}) {
        INFO(family);
        CHECK(m.find(std::string("\n") + family) != std::string::npos);
    }
}
