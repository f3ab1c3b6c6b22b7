#pragma once
// The answers of the routes that read a whole list, kept across requests and
// blocks (--query-cache-mb): the distributions, current and at past blocks,
// and the flows lists (api/flows.hpp). Keys name what an answer depends on: the token, the block (a
// past one, or the head's number and hash), the store's history version
// (advanced by rollbacks and add-tokens steps, see View::history_version)
// and the parameters. A block applied on top of the head leaves every past
// answer valid; a rollback makes new keys. A distribution is computed by
// walking the holder list with one iterator, twice, never holding it: its
// memory is the iterator's, whatever the token's holders.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/answer_cache.hpp"
#include "api/distribution.hpp"
#include "api/flows.hpp"
#include "storage/store.hpp"

namespace erc20::api {

class QueryCaches {
  public:
    /// 0 caches nothing.
    explicit QueryCaches(size_t budget_bytes);

    /// The distribution of `token` at the end of `block_num` (none: at v's
    /// head), the addresses in `exclude` (sorted) left out, with `detail`.
    std::shared_ptr<const Distribution> distribution(const storage::View& v, const Address& token,
                                                     std::optional<BlockNum> block_num,
                                                     const std::vector<Address>& exclude,
                                                     const DetailRequest& detail);

    /// flow_list's answer (api/flows.hpp).
    std::shared_ptr<const FlowList> flows(const storage::View& v, const Address& token,
                                          BlockNum from_block, BlockNum to_block, FlowOrder order);

    /// The caches' hit, miss, eviction and size families for /metrics.
    /// `others` (RocksDB's block cache) join the same families.
    [[nodiscard]] std::string render_metrics(const std::vector<CacheReport>& others = {}) const;

  private:
    AnswerCache<Distribution> distributions_;
    AnswerCache<FlowList> flows_;
};

}  // namespace erc20::api
