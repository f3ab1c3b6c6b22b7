#pragma once
// Lists: a page of JSON with next_cursor (read from the walk's pinned
// snapshot), or the whole list streamed as NDJSON or CSV (?format=). A
// cursor is hex of the pin id (8 bytes) and the list's position, which
// storage hands out (storage::Position): the API never reads its bytes.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/call.hpp"
#include "api/rows.hpp"

namespace erc20::api {

inline constexpr size_t kExportPage = 1000;  // items read per chunk of an export

using storage::Position;
using PositionKind = storage::Position::Kind;

/// A cursor: hex of the pin id (8 bytes, big-endian) and the position's bytes
/// (Position::encode).
[[nodiscard]] std::string encode_cursor(uint64_t pin_id, const Position& position);
/// (pin id, position) of a cursor of a list of `kind`; nullopt for one this
/// server never gave out.
[[nodiscard]] std::optional<std::pair<uint64_t, Position>> decode_cursor(const std::string& cursor,
                                                                         PositionKind kind);

/// Up to `limit` rows after `after` (none: from the start); `next` is
/// none when the list is exhausted.
struct Page {
    std::vector<Row> rows;
    std::optional<Position> next;
};
using Pager =
    std::function<Page(const storage::View&, const std::optional<Position>& after, size_t limit)>;

struct ListSpec {
    Columns columns;
    PositionKind positions;  // the kind of the pager's positions
    Pager pager;
    std::optional<BlockNum> block;  // answers as of a past block carry it instead of the head
    /// Fields a page has beside block, items and next_cursor (not in exports).
    std::function<void(JsonWriter&, const storage::View&)> extra;
    /// Columns ?columns= may add (api/columns.hpp), and the route's token they
    /// describe when the rows have none.
    Columns extras;
    std::optional<Address> subject;
};

/// The answer of a list route: ?format=json (default) pages with ?limit and
/// ?cursor; ndjson and csv stream the whole list from one snapshot; ?columns=
/// picks the columns of all three.
[[nodiscard]] Response list_answer(const Call& call, const ListSpec& spec);

}  // namespace erc20::api
