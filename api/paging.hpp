#pragma once
// Lists: a page of JSON with next_cursor (read from the walk's pinned
// snapshot), or the whole list streamed as NDJSON or CSV (?format=). A
// cursor is hex of the pin id (8 bytes) and the list's position.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/call.hpp"
#include "api/rows.hpp"

namespace erc20::api {

inline constexpr size_t kExportPage = 1000;  // items read per chunk of an export

/// What a list's positions are (the part of a cursor after the pin id).
enum class PositionKind {
    kTokenRank,  // /v1/tokens: storage's ranking position
    kHolder,     // /v1/tokens/{token}/holders: storage's holder position
    kIndex,      // holders at a past block: an index into the computed list
    kTransfer,   // transfer lists: (block_num, log_index)
    kToken,      // /v1/accounts/{account}/balances: the last token
};

// TODO(#12): storage hands out an opaque position. Until it does, these
// functions are the only place the API reads or writes storage's position
// bytes (the layouts of storage/schema.hpp's keys).
/// Whether `p` is a position of `kind` (a cursor this server could have given out).
[[nodiscard]] bool valid_position(PositionKind kind, const std::string& p);
[[nodiscard]] std::string transfer_position(const storage::Transfer& t);
/// REQUIRES: p empty or valid_position(kTransfer, p).
[[nodiscard]] std::optional<std::pair<BlockNum, uint32_t>> decode_transfer_position(
    const std::string& p);
[[nodiscard]] std::string token_position(const Address& token);
/// REQUIRES: p empty or valid_position(kToken, p).
[[nodiscard]] std::optional<Address> decode_token_position(const std::string& p);
[[nodiscard]] std::string index_position(uint64_t index);
/// REQUIRES: p empty or valid_position(kIndex, p).
[[nodiscard]] uint64_t decode_index_position(const std::string& p);

/// Up to `limit` rows after `position` (empty: from the start); `next` is
/// empty when the list is exhausted.
struct Page {
    std::vector<Row> rows;
    std::string next;
};
using Pager = std::function<Page(const storage::View&, const std::string& position, size_t limit)>;

struct ListSpec {
    Columns columns;
    PositionKind positions;
    Pager pager;
    std::optional<BlockNum> block;  // answers as of a past block carry it instead of the head
};

/// The answer of a list route: ?format=json (default) pages with ?limit and
/// ?cursor; ndjson and csv stream the whole list from one snapshot.
[[nodiscard]] Response list_answer(const Call& call, const ListSpec& spec);

}  // namespace erc20::api
