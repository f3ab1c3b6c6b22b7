#pragma once
// Address labels: who an address is for one token or for every token
// (treasury, team, vesting, burn...), from the operator's labels file
// (--labels) and the built-in burn addresses. They name holders in lists and
// take the non-circulating categories (--non-circulating) out of a token's
// circulating supply. A LabelSet is immutable; Labels swaps in a new one on
// reload (SIGHUP), and each set's generation goes into the answers'
// validators.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/types.hpp"

namespace erc20::api {

/// A labels file that does not parse: the message names the file and line.
class LabelsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Label {
    std::string category;  // lower case: [a-z0-9_-]+
    std::string label;     // free text, may be empty
    friend bool operator==(const Label&, const Label&) = default;
};

/// The categories out of circulation by default (--non-circulating).
inline constexpr std::string_view kDefaultNonCirculating =
    "burn,treasury,team,vesting,locked,reserve";

/// Built in for every token, category burn (a row of the file may relabel them).
inline constexpr std::string_view kBurnAddresses[] = {
    "0x000000000000000000000000000000000000dead",
    "0xdead000000000000000042069420694206942069",
};

/// "a,b" -> {a, b}; throws LabelsError for a category that is not [a-z0-9_-]+.
std::set<std::string> parse_categories(std::string_view list, std::string_view what);

class LabelSet {
  public:
    /// The built-in labels alone.
    LabelSet();
    /// A labels file: CSV (RFC 4180 quoting) with the header
    /// `token,address,category,label`; token is an address or `*` (every
    /// token); one row per (token, address); blank lines are skipped. Throws
    /// LabelsError naming `source` and the line.
    static LabelSet parse(std::string_view text, const std::string& source);

    /// The label of `account` for `token`: the token's own row, else the `*`
    /// row, else the built-in one; nullptr when none.
    [[nodiscard]] const Label* find(const Address& token, const Address& account) const;
    /// The addresses whose label for `token` is in `categories`, sorted.
    [[nodiscard]] std::vector<Address> in_categories(const Address& token,
                                                     const std::set<std::string>& categories) const;
    /// Rows read from the file (built-in ones not counted).
    [[nodiscard]] size_t rows() const { return rows_; }

  private:
    using ByAccount = std::map<Address, Label>;
    ByAccount every_token_;  // `*` rows over the built-in ones
    std::unordered_map<Address, ByAccount, AddressHasher> per_token_;
    size_t rows_{0};
};

/// The labels the API answers with now; safe to read from every thread.
class Labels {
  public:
    Labels(std::shared_ptr<const LabelSet> set, std::set<std::string> non_circulating);

    struct Snapshot {
        std::shared_ptr<const LabelSet> set;
        uint64_t generation;  // advanced by every replace()
        /// --non-circulating (fixed at start-up).
        std::shared_ptr<const std::set<std::string>> non_circulating;
    };
    [[nodiscard]] Snapshot current() const;
    void replace(std::shared_ptr<const LabelSet> set);

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const LabelSet> set_;
    uint64_t generation_{1};
    const std::shared_ptr<const std::set<std::string>> non_circulating_;
};

/// Reads and parses a labels file; throws LabelsError naming it.
std::shared_ptr<const LabelSet> load_labels(const std::string& path);

}  // namespace erc20::api
