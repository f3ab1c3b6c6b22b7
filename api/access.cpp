#include "api/access.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "common/metrics.hpp"

namespace erc20::api {
namespace {

// Buckets kept before the full ones are dropped; beyond it even after a
// sweep (that many clients at once, each above its rate), all are.
constexpr size_t kMaxBuckets = 65536;

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return std::string(s.substr(first, last - first + 1));
}

}  // namespace

void count_rejected(std::string_view reason) {
    metrics::registry().inc("erc20_http_rejected_total",
                            "HTTP requests and connections turned away, by reason",
                            "reason=\"" + std::string(reason) + "\"");
}

std::string_view bearer_of(std::string_view authorization) {
    constexpr std::string_view kBearer = "Bearer ";
    return authorization.rfind(kBearer, 0) == 0 ? authorization.substr(kBearer.size())
                                                : std::string_view();
}

bool same_secret(std::string_view given, std::string_view secret) {
    unsigned diff = given.size() == secret.size() ? 0 : 1;
    for (size_t i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned>(given[i] ^ secret[i % (secret.empty() ? 1 : secret.size())]);
    return diff == 0 && !secret.empty();
}

std::vector<ReadToken> load_read_tokens(const std::string& path, std::string_view admin_token) {
    std::ifstream in(path);
    if (!in) throw AccessError("--read-token-file: cannot read " + path);
    std::vector<ReadToken> out;
    std::set<std::string> names;
    std::set<std::string> secrets;
    size_t n = 0;
    for (std::string raw; std::getline(in, raw);) {
        ++n;
        const std::string line = trimmed(raw);
        if (line.empty() || line[0] == '#') continue;
        const std::string where = "--read-token-file " + path + " line " + std::to_string(n);
        const auto colon = line.find(':');
        ReadToken t{colon == std::string::npos ? "line" + std::to_string(n) : line.substr(0, colon),
                    colon == std::string::npos ? line : line.substr(colon + 1)};
        if (!valid_name(t.name))
            throw AccessError(where + ": a name is 1 to 64 letters, digits, '-', '_' or '.'");
        if (t.secret.size() < kMinTokenLength)
            throw AccessError(where + ": a token has at least " + std::to_string(kMinTokenLength) +
                              " characters");
        if (t.secret.find_first_of(" \t") != std::string::npos)
            throw AccessError(where + ": a token has no whitespace");
        if (!admin_token.empty() && t.secret == admin_token)
            throw AccessError(where + ": the admin token is never a read token");
        if (!names.insert(t.name).second) throw AccessError(where + ": name " + t.name + " again");
        if (!secrets.insert(t.secret).second) throw AccessError(where + ": a token given twice");
        out.push_back(std::move(t));
    }
    if (out.empty()) throw AccessError("--read-token-file " + path + ": no token in it");
    return out;
}

Access::Access(AccessOptions options, std::vector<ReadToken> tokens)
    : options_(options),
      tokens_(std::make_shared<const std::vector<ReadToken>>(std::move(tokens))) {
    options_.burst = std::max(1.0, options_.burst);
    options_.max_expensive = std::max<size_t>(1, options_.max_expensive);
}

void Access::replace_tokens(std::vector<ReadToken> tokens) {
    auto next = std::make_shared<const std::vector<ReadToken>>(std::move(tokens));
    std::lock_guard lock(tokens_mutex_);
    tokens_ = std::move(next);
}

size_t Access::clients() const {
    std::lock_guard lock(tokens_mutex_);
    return tokens_->size();
}

std::string Access::client_of(std::string_view authorization) const {
    const std::string_view given = bearer_of(authorization);
    if (given.empty()) return {};
    std::shared_ptr<const std::vector<ReadToken>> tokens;
    {
        std::lock_guard lock(tokens_mutex_);
        tokens = tokens_;
    }
    // Every token is compared, so the time taken does not tell which one came close.
    const ReadToken* found = nullptr;
    for (const ReadToken& t : *tokens) {
        if (same_secret(given, t.secret)) found = &t;
    }
    return found ? found->name : std::string();
}

unsigned Access::take(const std::string& client) {
    const auto now = Clock::now();
    std::lock_guard lock(buckets_mutex_);
    if (buckets_.size() >= kMaxBuckets) sweep(now);
    auto [it, fresh] = buckets_.try_emplace(client, Bucket{options_.burst, now});
    Bucket& b = it->second;
    if (!fresh) {
        const double elapsed = std::chrono::duration<double>(now - b.at).count();
        b.level = std::min(options_.burst, b.level + elapsed * options_.rate_per_s);
        b.at = now;
    }
    if (b.level >= 1) {
        b.level -= 1;
        return 0;
    }
    return static_cast<unsigned>(std::max(1.0, std::ceil((1 - b.level) / options_.rate_per_s)));
}

void Access::sweep(Clock::time_point now) {
    std::erase_if(buckets_, [&](const auto& entry) {
        const double elapsed = std::chrono::duration<double>(now - entry.second.at).count();
        return entry.second.level + elapsed * options_.rate_per_s >= options_.burst;
    });
    if (buckets_.size() >= kMaxBuckets) buckets_.clear();
}

std::variant<Admission, Refusal> Access::admit(std::string_view authorization,
                                               std::string_view peer, bool expensive,
                                               bool count_rate) {
    Admission a;
    if (options_.require_tokens) {
        a.client = client_of(authorization);
        if (a.client.empty()) {
            count_rejected("unauthorized");
            return Refusal{401, "unauthorized",
                           authorization.empty()
                               ? "this API needs a read token: Authorization: Bearer TOKEN"
                               : "the bearer token is not a read token of this API (revoked, "
                                 "mistyped, or the admin token)"};
        }
        if (count_rate)
            metrics::registry().inc("erc20_http_client_requests_total",
                                    "HTTP requests to /v1 and /metrics by read token name",
                                    "client=\"" + a.client + "\"");
    } else {
        a.client = std::string(peer);
    }
    if (options_.rate_per_s > 0 && count_rate) {
        if (const unsigned wait = take(a.client)) {
            count_rejected("rate_limited");
            return Refusal{429, "rate_limited",
                           "more than --rate-limit requests from " +
                               (options_.require_tokens ? "client " + a.client : a.client) +
                               "; retry after " + std::to_string(wait) + " s",
                           wait};
        }
    }
    if (expensive) {
        auto counter = expensive_;
        if (counter->fetch_add(1) >= options_.max_expensive) {
            counter->fetch_sub(1);
            return Refusal{429, "too_busy",
                           std::to_string(options_.max_expensive) +
                               " expensive answers (exports, distributions, past holders, "
                               "series, flows) are being made, the most at once "
                               "(--max-expensive-concurrency); retry shortly",
                           1};
        }
        a.slot = std::shared_ptr<void>(counter.get(),
                                       [counter](void*) mutable { counter->fetch_sub(1); });
    }
    return a;
}

}  // namespace erc20::api
