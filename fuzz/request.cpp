// Fuzz target: the HTTP request target as the query API reads it
// (api::Router::handle): path matching, query strings, percent-decoding,
// parameters, cursors, the admin API's bearer token, If-None-Match.
// Input: the target alone (a GET), or "METHOD\nTARGET\nIF-NONE-MATCH\nAUTHORIZATION".
// The router answers from a small database made once per process: two
// tokens, transfers over several blocks, one token's metadata.
// Invariants: handle() never throws (a throw is a 500 in the server); every
// status is one the API documents; every JSON answer is valid JSON; a bulk
// export ends; a next_cursor given out is accepted on the same route.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

#include <simdjson.h>

#include "api/routes.hpp"
#include "common/hex.hpp"
#include "fuzz/check.hpp"

using namespace erc20;

namespace {

constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789";

struct Fixture {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("erc20-fuzz-request-" + std::to_string(::getpid()));
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<api::Router> router;

    Fixture() {
        std::filesystem::remove_all(dir);
        store = storage::Store::open(dir.string(), {});
        store->bind_chain(31337);
        const Address a = *parse_address("0x00000000000000000000000000000000000000aa");
        const Address b = *parse_address("0x00000000000000000000000000000000000000bb");
        for (BlockNum n = 1; n <= 6; ++n) {
            std::vector<storage::Transfer> ts;
            for (uint32_t i = 0; i < 5; ++i) {
                storage::Transfer t;
                t.block_num = n;
                t.log_index = i;
                t.token = i % 2 ? a : b;
                t.from.bytes[19] = static_cast<uint8_t>(n > 1 ? i : 0);  // mints first
                t.to.bytes[19] = static_cast<uint8_t>(i + n);
                t.txn_hash.bytes[0] = static_cast<uint8_t>(n);
                t.value = n > 1 ? U256(i + 1) : (U256(1) << 200);
                ts.push_back(t);
            }
            Hash h;
            h.bytes[31] = static_cast<uint8_t>(n);
            store->apply(
                storage::BlockBatch{n, storage::Cursor{n, h}, ts, {}, {{n, 1700000000 + n}}, 0});
        }
        store->put_token_meta(a, storage::TokenMeta{"Token \"A\"", "A\\", 18, U256(1) << 200, 6});
        api::RouterOptions options;
        options.admin_token = std::string(kAdminToken);
        options.max_pinned = 4;
        options.admin = [](const std::string&, const std::map<std::string, std::string>& params) {
            return api::AdminAnswer{200, "{\"params\":" + std::to_string(params.size()) + "}"};
        };
        router = std::make_unique<api::Router>(
            *store, [] { return api::NodeStatus{9, "following", true, 0, 0, 30}; }, options);
    }
    ~Fixture() {
        router.reset();  // releases pinned snapshots before the store closes
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

bool documented(unsigned status) {
    switch (status) {
        case 200:
        case 304:
        case 400:
        case 401:
        case 404:
        case 405:
        case 503:
            return true;
        default:
            return false;
    }
}

// The value of "next_cursor" in a JSON body, or empty.
std::string next_cursor(simdjson::dom::parser& parser, const std::string& body) {
    simdjson::dom::element doc;
    std::string_view cursor;
    if (parser.parse(body).get(doc) || doc["next_cursor"].get_string().get(cursor)) return {};
    return std::string(cursor);
}

void check(const api::Router& router, const api::Request& request, bool follow);

void check_answer(const api::Router& router, const api::Request& request, const api::Response& r,
                  bool follow) {
    static simdjson::dom::parser parser;
    FUZZ_CHECK(documented(r.status));
    if (r.stream) {
        std::string out;
        size_t calls = 0;
        while (r.stream(out)) FUZZ_CHECK(++calls < 1000);
        return;
    }
    if (r.status == 304 || r.content_type != "application/json") return;
    simdjson::dom::element doc;
    FUZZ_CHECK(parser.parse(r.body).get(doc) == simdjson::SUCCESS);
    const std::string cursor = next_cursor(parser, r.body);
    const std::string_view target = request.target;
    // A query that names "cursor" itself, or may in percent-encoding, would give it twice.
    if (!follow || cursor.empty() || target.find("cursor") != std::string_view::npos ||
        target.find('%') != std::string_view::npos) {
        return;
    }
    const std::string next = std::string(target) +
                             (target.find('?') == std::string_view::npos ? "?" : "&") +
                             "cursor=" + cursor;
    check(router, api::Request{request.method, next, {}, {}}, false);
}

void check(const api::Router& router, const api::Request& request, bool follow) {
    const api::Response r = router.handle(request);
    check_answer(router, request, r, follow);
    if (!follow) FUZZ_CHECK(r.status == 200);  // a cursor the server gave out
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Fixture fixture;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    api::Request request;
    if (input.find('\n') == std::string_view::npos) {
        request.target = input;
    } else {
        std::string_view fields[4];
        std::string_view rest = input;
        for (auto& f : fields) {
            const size_t nl = rest.find('\n');
            f = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        }
        request = api::Request{fields[0], fields[1], fields[2], fields[3]};
    }
    check(*fixture.router, request, true);
    return 0;
}
