#pragma once
// The answers of the routes that read a whole holder list, kept across
// requests and blocks (--query-cache-mb): the holder lists at past blocks
// and the distributions. Keys name what an answer depends on: the token,
// the block (a past one, or the head's number and hash), the store's
// history version (advanced by rollbacks and add-tokens steps, see
// View::history_version) and the parameters. A block applied on top of the
// head leaves every past answer valid; a rollback makes new keys.

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
    using HolderList = std::vector<storage::HolderItem>;
    using Holders = std::shared_ptr<const HolderList>;

    /// `budget_bytes` is shared: 7/8 for holder lists, 1/8 for distributions.
    /// 0 caches nothing.
    explicit QueryCaches(size_t budget_bytes);

    /// The holders of `token` at the end of `block_num` as `v` shows them.
    /// REQUIRES: block_num at or below v's cursor.
    Holders past_holders(const storage::View& v, const Address& token, BlockNum block_num);

    /// The distribution of `token` at the end of `block_num` (none: at v's
    /// head), the addresses in `exclude` (sorted) left out.
    std::shared_ptr<const Distribution> distribution(const storage::View& v, const Address& token,
                                                     std::optional<BlockNum> block_num,
                                                     const std::vector<Address>& exclude);

    /// The caches' hit, miss, eviction and size families for /metrics.
    [[nodiscard]] std::string render_metrics() const;

  private:
    AnswerCache<HolderList> holders_;
    AnswerCache<Distribution> distributions_;
};

}  // namespace erc20::api
