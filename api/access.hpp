#pragma once
// Who may read the API, and how much: read tokens (--read-token-file), a
// token bucket per client (--rate-limit, --rate-burst) and a cap on the
// expensive answers made at once (--max-expensive-concurrency). The router
// admits each request to a /v1 route or /metrics here; the server caps the
// connections (api/server.hpp).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace erc20::api {

/// A read-token file that cannot be used; what() names the file and the line.
class AccessError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// One client of the read API: its name (in logs and /metrics) and token.
struct ReadToken {
    std::string name;
    std::string secret;
};

inline constexpr size_t kMinTokenLength = 16;

/// The tokens of a --read-token-file: one per line, `NAME:TOKEN` or `TOKEN`
/// (named `line<N>`), blank lines and lines starting with '#' skipped.
/// Throws AccessError for an unreadable file, a token shorter than
/// kMinTokenLength or with whitespace, a name other than letters, digits,
/// '-', '_' and '.', a repeated name or token, the admin token, or no token.
[[nodiscard]] std::vector<ReadToken> load_read_tokens(const std::string& path,
                                                      std::string_view admin_token);

/// The token of an `Authorization: Bearer TOKEN` header; empty for any other header.
[[nodiscard]] std::string_view bearer_of(std::string_view authorization);

/// Whether `given` equals `secret`, in a time that depends only on their
/// lengths (no early exit at the first differing byte). False for an empty secret.
[[nodiscard]] bool same_secret(std::string_view given, std::string_view secret);

/// Counts a request or connection turned away in erc20_http_rejected_total{reason}.
void count_rejected(std::string_view reason);

struct AccessOptions {
    bool require_tokens{false};  // --read-token-file given
    double rate_per_s{0};        // per client; 0: no limit
    double burst{1};             // requests a full bucket holds
    size_t max_expensive{1};     // expensive answers at once
};

/// A request let in: its client, and while an expensive answer is made its
/// slot (released when the last copy is dropped: a streamed export holds it
/// until its last byte is sent).
struct Admission {
    std::string client;  // the token's name; the peer address without tokens
    std::shared_ptr<void> slot;
};

/// A request turned away: 401 (no or a wrong token) or 429 (rate, or too
/// many expensive answers at once) with Retry-After.
struct Refusal {
    unsigned status;
    std::string code;
    std::string message;
    unsigned retry_after_s{0};  // 0: no Retry-After
};

class Access {
  public:
    Access(AccessOptions options, std::vector<ReadToken> tokens);

    /// The tokens from now on (SIGHUP); a revoked one is refused at once.
    void replace_tokens(std::vector<ReadToken> tokens);
    [[nodiscard]] size_t clients() const;
    [[nodiscard]] const AccessOptions& options() const { return options_; }

    /// Admits a request to a read route: its Authorization header, the
    /// peer's address, whether its answer is expensive and whether it counts
    /// against the rate (not when asked again after a too_busy).
    [[nodiscard]] std::variant<Admission, Refusal> admit(std::string_view authorization,
                                                         std::string_view peer, bool expensive,
                                                         bool count_rate = true);

  private:
    using Clock = std::chrono::steady_clock;
    struct Bucket {
        double level;
        Clock::time_point at;
    };
    /// The client of a bearer token, or empty for none.
    [[nodiscard]] std::string client_of(std::string_view authorization) const;
    /// Takes one request from the client's bucket: 0 when it had one, else
    /// the seconds until it has.
    unsigned take(const std::string& client);
    /// Drops the buckets that are full again (they hold nothing a new one would not).
    void sweep(Clock::time_point now);

    AccessOptions options_;
    mutable std::mutex tokens_mutex_;
    std::shared_ptr<const std::vector<ReadToken>> tokens_;
    std::mutex buckets_mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
    std::shared_ptr<std::atomic<size_t>> expensive_ = std::make_shared<std::atomic<size_t>>(0);
};

}  // namespace erc20::api
