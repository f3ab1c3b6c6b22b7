#include "api/columns.hpp"

#include <algorithm>
#include <ctime>

#include "common/hex.hpp"

namespace erc20::api {
namespace {

const Field* find_field(const Row& row, std::string_view name) {
    for (const auto& [k, v] : row) {
        if (k == name) return &v;
    }
    return nullptr;
}

bool has(const Columns& cs, std::string_view c) {
    return std::find(cs.begin(), cs.end(), c) != cs.end();
}

std::string listed(const Columns& own, const Columns& extras) {
    std::string out;
    for (const Columns* cs : {&own, &extras}) {
        for (auto c : *cs) out += (out.empty() ? "" : ", ") + std::string(c);
    }
    return out;
}

}  // namespace

const Columns kHolderExtras{"token", "symbol", "decimals", "amount"};
const Columns kTransferExtras{"symbol", "decimals", "amount", "time"};
const Columns kBalanceExtras{"symbol", "decimals", "amount"};
const Columns kBalanceChangeExtras{"token", "symbol", "decimals", "amount", "time"};

OrError<ColumnPlan> plan_columns(const Query& q, const Columns& own, const Columns& extras) {
    const std::string* param = q.get("columns");
    if (!param) return ColumnPlan{own, true};
    ColumnPlan plan{{}, false};
    std::string_view rest = *param;
    while (!rest.empty() || plan.shown.empty()) {
        const auto comma = rest.find(',');
        const std::string_view name = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        // The column names are the lists' own string literals: `shown` points at them.
        auto known = std::find(own.begin(), own.end(), name);
        const Columns* in = &own;
        if (known == own.end()) {
            known = std::find(extras.begin(), extras.end(), name);
            in = &extras;
        }
        if (known == in->end()) {
            return bad_request("bad_columns", "'" + std::string(name) +
                                                  "' is not a column of this list; its columns: " +
                                                  listed(own, extras));
        }
        if (has(plan.shown, name))
            return bad_request("bad_columns", "column '" + std::string(name) + "' given twice");
        plan.shown.push_back(*known);
    }
    plan.as_built = plan.shown == own;
    return plan;
}

std::string scaled_decimal(std::string_view raw, unsigned decimals) {
    const bool negative = !raw.empty() && raw.front() == '-';
    if (negative) raw.remove_prefix(1);
    std::string digits(raw);
    if (digits.size() <= decimals) digits.insert(0, decimals - digits.size() + 1, '0');
    std::string whole = digits.substr(0, digits.size() - decimals);
    std::string frac = digits.substr(digits.size() - decimals);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    std::string out = whole + (frac.empty() ? "" : "." + frac);
    const bool zero = out.find_first_not_of("0.") == std::string::npos;
    return negative && !zero ? "-" + out : out;
}

std::string iso8601_utc(uint64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const std::optional<storage::TokenMeta>& RowShaper::meta_of(const std::string& token_hex) {
    auto it = metas_.find(token_hex);
    if (it != metas_.end()) return it->second;
    if (metas_.size() >= 4096) metas_.clear();  // a page has at most 1,000 rows
    std::optional<storage::TokenMeta> meta;
    if (auto a = parse_address(token_hex)) meta = view_.token_meta(*a);
    return metas_.emplace(token_hex, std::move(meta)).first->second;
}

Field RowShaper::extra(std::string_view column, const Row& row) {
    if (column == "time") {
        const Field* ts = find_field(row, "timestamp");
        const auto* secs = ts ? std::get_if<uint64_t>(ts) : nullptr;
        return secs ? Field(iso8601_utc(*secs)) : Field();
    }
    std::string token;
    if (subject_) token = to_hex(*subject_);
    else if (const Field* t = find_field(row, "token"); t && std::get_if<std::string>(t))
        token = std::get<std::string>(*t);
    if (column == "token") return token.empty() ? Field() : Field(token);
    const auto& meta = token.empty() ? std::nullopt : meta_of(token);
    if (column == "symbol") return meta && meta->symbol ? Field(*meta->symbol) : Field();
    const std::optional<uint8_t> decimals = meta ? meta->decimals : std::nullopt;
    if (column == "decimals") return decimals ? Field(uint64_t{*decimals}) : Field();
    // amount
    const Field* raw = find_field(row, "balance");
    if (!raw) raw = find_field(row, "value");
    const auto* text = raw ? std::get_if<std::string>(raw) : nullptr;
    return text && decimals ? Field(scaled_decimal(*text, *decimals)) : Field();
}

Row RowShaper::shape(Row row) {
    if (plan_.as_built) return row;
    Row out;
    out.reserve(plan_.shown.size());
    for (auto column : plan_.shown) {
        const Field* f = find_field(row, column);
        out.emplace_back(column, f ? *f : extra(column, row));
    }
    return out;
}

}  // namespace erc20::api
