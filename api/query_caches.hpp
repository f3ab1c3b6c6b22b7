#pragma once
// The answers of the routes that read a whole holder list, kept across
// requests and blocks (--query-cache-mb): the distributions, current and at
// past blocks. Keys name what an answer depends on: the token, the block (a
// past one, or the head's number and hash), the store's history version
// (advanced by rollbacks and add-tokens steps, see View::history_version)
// and the parameters. A block applied on top of the head leaves every past
// answer valid; a rollback makes new keys. A distribution is computed by
// walking the holder list page by page, never held whole: its memory is a
// page, whatever the token's holders.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/answer_cache.hpp"
#include "api/distribution.hpp"
#include "storage/store.hpp"

namespace erc20::api {

class QueryCaches {
  public:
    /// 0 caches nothing.
    explicit QueryCaches(size_t budget_bytes);

    /// The distribution of `token` at the end of `block_num` (none: at v's
    /// head), the addresses in `exclude` (sorted) left out.
    std::shared_ptr<const Distribution> distribution(const storage::View& v, const Address& token,
                                                     std::optional<BlockNum> block_num,
                                                     const std::vector<Address>& exclude);

    /// The caches' hit, miss, eviction and size families for /metrics.
    [[nodiscard]] std::string render_metrics() const;

  private:
    AnswerCache<Distribution> distributions_;
};

}  // namespace erc20::api
