#include "api/labels.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/hex.hpp"
#include "common/strings.hpp"

namespace erc20::api {

namespace {

constexpr size_t kMaxLabelBytes = 200;

bool is_category(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// One CSV record from `text` at `at` (RFC 4180: a quoted field may hold
// commas, doubled quotes and line breaks); `line` counts the lines read.
// nullopt with `error` set for an unterminated quote.
std::optional<std::vector<std::string>> next_record(std::string_view text, size_t& at, size_t& line,
                                                    std::string& error) {
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (; at < text.size(); ++at) {
        const char c = text[at];
        if (quoted) {
            if (c == '"' && at + 1 < text.size() && text[at + 1] == '"') {
                fields.back() += '"';
                ++at;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n') ++line;
                fields.back() += c;
            }
        } else if (c == '"' && trim(fields.back()).empty()) {
            fields.back().clear();
            quoted = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c == '\n') {
            ++at;
            return fields;
        } else {
            fields.back() += c;
        }
    }
    if (quoted) {
        error = "a quoted field is not closed";
        return std::nullopt;
    }
    return fields;
}

[[noreturn]] void fail(const std::string& source, size_t line, const std::string& message) {
    throw LabelsError("labels file " + source + ", line " + std::to_string(line) + ": " + message);
}

}  // namespace

std::set<std::string> parse_categories(std::string_view list, std::string_view what) {
    std::set<std::string> out;
    while (!list.empty()) {
        const size_t comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (!item.empty()) {
            if (!is_category(item)) {
                throw LabelsError("invalid category '" + std::string(item) + "' in " +
                                  std::string(what) +
                                  ": expected lower-case letters, digits, '_' or '-'");
            }
            out.emplace(item);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return out;
}

LabelSet::LabelSet() {
    for (std::string_view a : kBurnAddresses)
        every_token_[*parse_address(a)] = {"burn", "burn address"};
}

LabelSet LabelSet::parse(std::string_view text, const std::string& source) {
    LabelSet set;
    std::map<std::pair<std::optional<Address>, Address>, size_t> seen;  // row -> its line
    size_t at = 0, line = 1;
    std::string error;
    bool header = true;
    while (at < text.size()) {
        const size_t first_line = line;
        auto record = next_record(text, at, line, error);
        if (!record) fail(source, first_line, error);
        ++line;
        if (record->size() == 1 && trim((*record)[0]).empty()) continue;  // a blank line
        auto& f = *record;
        if (header) {
            std::string joined;
            for (size_t i = 0; i < f.size(); ++i) joined += (i ? "," : "") + to_lower(trim(f[i]));
            if (joined != "token,address,category,label")
                fail(source, first_line, "the header must be token,address,category,label");
            header = false;
            continue;
        }
        if (f.size() != 4)
            fail(source, first_line, "expected 4 fields, got " + std::to_string(f.size()));
        const std::string_view token_text = trim(f[0]);
        std::optional<Address> token;
        if (token_text != "*") {
            token = parse_address(token_text);
            if (!token)
                fail(source, first_line,
                     "token '" + std::string(token_text) + "' is not an address or *");
        }
        const auto account = parse_address(trim(f[1]));
        if (!account)
            fail(source, first_line, "address '" + std::string(trim(f[1])) + "' is not an address");
        const std::string category = to_lower(trim(f[2]));
        if (!is_category(category)) {
            fail(source, first_line,
                 "category '" + std::string(trim(f[2])) +
                     "' must be lower-case letters, digits, '_' or '-' (at most 64)");
        }
        const std::string_view label = trim(f[3]);
        if (label.size() > kMaxLabelBytes)
            fail(source, first_line,
                 "label longer than " + std::to_string(kMaxLabelBytes) + " bytes");
        auto [it, added] = seen.try_emplace({token, *account}, first_line);
        if (!added) {
            fail(source, first_line,
                 "a second row for token " + std::string(token_text) + " and address " +
                     to_hex(*account) + " (the first is line " + std::to_string(it->second) + ")");
        }
        Label l{category, std::string(label)};
        if (token) set.per_token_[*token][*account] = std::move(l);
        else
            set.every_token_[*account] = std::move(l);
        ++set.rows_;
    }
    if (header) fail(source, line, "empty: expected the header token,address,category,label");
    return set;
}

const Label* LabelSet::find(const Address& token, const Address& account) const {
    if (auto t = per_token_.find(token); t != per_token_.end()) {
        if (auto a = t->second.find(account); a != t->second.end()) return &a->second;
    }
    auto a = every_token_.find(account);
    return a == every_token_.end() ? nullptr : &a->second;
}

std::vector<Address> LabelSet::in_categories(const Address& token,
                                             const std::set<std::string>& categories) const {
    std::vector<Address> out;
    const ByAccount* own = nullptr;
    if (auto t = per_token_.find(token); t != per_token_.end()) own = &t->second;
    for (const auto& [account, label] : every_token_) {
        if (own && own->count(account)) continue;  // the token's own row decides
        if (categories.count(label.category)) out.push_back(account);
    }
    if (own) {
        for (const auto& [account, label] : *own)
            if (categories.count(label.category)) out.push_back(account);
    }
    std::sort(out.begin(), out.end());
    return out;
}

Labels::Labels(std::shared_ptr<const LabelSet> set, std::set<std::string> non_circulating)
    : set_(set ? std::move(set) : std::make_shared<const LabelSet>()),
      non_circulating_(std::make_shared<const std::set<std::string>>(std::move(non_circulating))) {}

Labels::Snapshot Labels::current() const {
    std::lock_guard lock(mutex_);
    return {set_, generation_, non_circulating_};
}

void Labels::replace(std::shared_ptr<const LabelSet> set) {
    std::lock_guard lock(mutex_);
    set_ = std::move(set);
    ++generation_;
}

std::shared_ptr<const LabelSet> load_labels(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw LabelsError("labels file " + path + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw LabelsError("labels file " + path + ": read failed");
    return std::make_shared<const LabelSet>(LabelSet::parse(text.str(), path));
}

}  // namespace erc20::api
