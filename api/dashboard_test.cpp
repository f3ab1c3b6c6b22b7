#include "api/dashboard.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "web/assets.hpp"

using namespace erc20;

namespace {

api::Response get(std::string_view path, std::string_view if_none_match = {}) {
    api::Request req{"GET", path, if_none_match};
    auto r = api::dashboard_answer(req, path);
    REQUIRE(r);
    return *r;
}

std::string header(const api::Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

std::set<std::string> paths() {
    std::set<std::string> out;
    for (const auto& a : web::assets()) out.emplace(a.path);
    return out;
}

}  // namespace

TEST_CASE("the page at / names only embedded assets, with hashed names", "[api][dashboard]") {
    auto page = get("/");
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(header(page, "Cache-Control") == "no-cache");
    CHECK(header(page, "Content-Security-Policy") == api::kDashboardCsp);
    CHECK(page.body.find("{{") == std::string::npos);  // every placeholder replaced
    const auto known = paths();
    const std::regex ref(R"re((?:src|href)="(/assets/[^"]+)")re");
    int refs = 0;
    for (std::sregex_iterator it(page.body.begin(), page.body.end(), ref), end; it != end; ++it) {
        INFO((*it)[1].str());
        CHECK(known.count((*it)[1].str()) == 1);
        ++refs;
    }
    CHECK(refs >= 5);  // icon, two styles, uPlot, the app
}

TEST_CASE("every module import resolves to an embedded asset", "[api][dashboard]") {
    const auto known = paths();
    const std::regex imp(R"re(from '\./([^']+)')re");
    int imports = 0;
    for (const auto& a : web::assets()) {
        if (a.path.rfind("/assets/", 0) != 0) continue;
        CHECK(a.immutable);
        const std::string body(a.body);
        for (std::sregex_iterator it(body.begin(), body.end(), imp), end; it != end; ++it) {
            INFO(a.path << " imports " << (*it)[1].str());
            CHECK(known.count("/assets/" + (*it)[1].str()) == 1);
            ++imports;
        }
    }
    CHECK(imports > 0);
}

TEST_CASE("assets are cached for good, revalidated by ETag, and 404 when unknown",
          "[api][dashboard]") {
    for (const auto& a : web::assets()) {
        if (a.path.rfind("/assets/", 0) != 0) continue;
        auto r = get(a.path);
        INFO(a.path);
        CHECK(r.status == 200);
        CHECK(header(r, "Cache-Control") == "public, max-age=31536000, immutable");
        CHECK(r.body.size() == a.body.size());
        CHECK(r.etag == a.etag);
    }
    auto page = get("/");
    CHECK(get("/", page.etag).status == 304);
    CHECK(get("/", page.etag).body.empty());
    auto missing = get("/assets/nope.js");
    CHECK(missing.status == 404);
    CHECK(missing.content_type == "application/json");
    // Other methods and paths are the API's.
    api::Request post{"POST", "/"};
    CHECK_FALSE(api::dashboard_answer(post, "/"));
    api::Request other{"GET", "/v1/status"};
    CHECK_FALSE(api::dashboard_answer(other, "/v1/status"));
}

TEST_CASE("/openapi.yaml is docs/openapi.yaml; /docs renders its every path", "[api][dashboard]") {
    std::ifstream in(ERC20_SOURCE_DIR "/docs/openapi.yaml", std::ios::binary);
    REQUIRE(in);
    const std::string spec((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto yaml = get("/openapi.yaml");
    CHECK(yaml.status == 200);
    CHECK(yaml.content_type == "application/yaml; charset=utf-8");
    CHECK(yaml.body == spec);
    auto docs = get("/docs");
    CHECK(docs.status == 200);
    CHECK(docs.content_type == "text/html; charset=utf-8");
    CHECK(header(docs, "Content-Security-Policy") == api::kDashboardCsp);
    CHECK(docs.body.find("<script") == std::string::npos);  // a static page
    const std::regex path_line(R"re(\n  (/[^:\s]*):\n)re");
    int paths = 0;
    for (std::sregex_iterator it(spec.begin(), spec.end(), path_line), end; it != end; ++it) {
        INFO((*it)[1].str());
        CHECK(docs.body.find("data-path=\"" + (*it)[1].str() + "\"") != std::string::npos);
        ++paths;
    }
    CHECK(paths >= 16);
}
