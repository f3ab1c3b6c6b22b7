#include "api/labels.hpp"

#include <catch2/catch.hpp>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

Address a(std::string_view s) { return *parse_address(s); }

const Address kToken = a("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const Address kOther = a("0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");
const Address kTreasury = a("0x00000000000000000000000000000000000000a1");
const Address kTeam = a("0x00000000000000000000000000000000000000a2");
const Address kDead = a("0x000000000000000000000000000000000000dead");

TEST_CASE("labels: per-token rows over * rows over the built-in burn addresses") {
    const auto set = LabelSet::parse(
        "token,address,category,label\r\n"
        "*,0x00000000000000000000000000000000000000A1,treasury,\"DAO treasury, main\"\r\n"
        "\n"
        "0x5fbdb2315678afecb367f032d93f642f64180aa3,0x00000000000000000000000000000000000000a1,"
        "exchange,Hot wallet\n"
        "0x5fbdb2315678afecb367f032d93f642f64180aa3,0x00000000000000000000000000000000000000a2,"
        "Team,\"say \"\"hi\"\"\"\n",
        "test.csv");
    CHECK(set.rows() == 3);
    REQUIRE(set.find(kOther, kTreasury));
    CHECK(*set.find(kOther, kTreasury) == Label{"treasury", "DAO treasury, main"});
    CHECK(*set.find(kToken, kTreasury) == Label{"exchange", "Hot wallet"});
    CHECK(*set.find(kToken, kTeam) == Label{"team", "say \"hi\""});
    CHECK_FALSE(set.find(kOther, kTeam));
    CHECK(set.find(kOther, kDead)->category == "burn");
    const std::set<std::string> out{"burn", "treasury", "team"};
    CHECK(set.in_categories(kOther, out) ==
          std::vector<Address>{kTreasury, kDead, a("0xdead000000000000000042069420694206942069")});
    // The token's own row (exchange) takes its treasury row out.
    CHECK(set.in_categories(kToken, out) ==
          std::vector<Address>{kTeam, kDead, a("0xdead000000000000000042069420694206942069")});
}

TEST_CASE("labels: a bad file names its line") {
    auto error_of = [](std::string_view text) {
        try {
            (void)LabelSet::parse(text, "f.csv");
        } catch (const LabelsError& e) {
            return std::string(e.what());
        }
        return std::string("parsed");
    };
    CHECK(error_of("") ==
          "labels file f.csv, line 1: empty: expected the header "
          "token,address,category,label");
    CHECK(error_of("token,address,label\n") ==
          "labels file f.csv, line 1: the header must be token,address,category,label");
    CHECK(error_of("token,address,category,label\n*,0x12,burn,x\n") ==
          "labels file f.csv, line 2: address '0x12' is not an address");
    CHECK(
        error_of("token,address,category,label\n\n0xzz,0x000000000000000000000000000000000000dead,"
                 "burn,x\n") == "labels file f.csv, line 3: token '0xzz' is not an address or *");
    CHECK(error_of("token,address,category,label\n*,0x000000000000000000000000000000000000dead,"
                   "big burn,x\n")
              .find("line 2: category 'big burn'") != std::string::npos);
    CHECK(error_of("token,address,category,label\n*,0x000000000000000000000000000000000000dead,"
                   "burn\n") == "labels file f.csv, line 2: expected 4 fields, got 3");
    CHECK(error_of("token,address,category,label\n*,0x000000000000000000000000000000000000dead,"
                   "burn,\"a\nb\"\n*,0x000000000000000000000000000000000000dEAD,team,y\n") ==
          "labels file f.csv, line 4: a second row for token * and address "
          "0x000000000000000000000000000000000000dead (the first is line 2)");
    CHECK(error_of("token,address,category,label\n*,0x000000000000000000000000000000000000dead,"
                   "burn,\"open\n") == "labels file f.csv, line 2: a quoted field is not closed");
}

TEST_CASE("labels: categories lists and generations") {
    CHECK(parse_categories(kDefaultNonCirculating, "--non-circulating") ==
          std::set<std::string>{"burn", "treasury", "team", "vesting", "locked", "reserve"});
    CHECK(parse_categories(" a , b,,", "x") == std::set<std::string>{"a", "b"});
    CHECK(parse_categories("", "x").empty());
    CHECK_THROWS_WITH(parse_categories("ok,Not OK", "--non-circulating"),
                      "invalid category 'Not OK' in --non-circulating: expected lower-case "
                      "letters, digits, '_' or '-'");
    Labels labels(nullptr, {"burn"});
    const auto first = labels.current();
    CHECK(first.set->find(kToken, kDead));
    labels.replace(std::make_shared<const LabelSet>());
    CHECK(labels.current().generation == first.generation + 1);
}

}  // namespace
}  // namespace erc20::api
