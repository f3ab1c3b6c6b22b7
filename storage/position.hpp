#pragma once
// Where a walk through one of View's lists stopped, for "continue after":
// handed out by View (or made from the list's last item) and taken back by
// it. Opaque to callers, who only carry it: encode() gives its bytes for a
// cursor, decode() takes them back and refuses bytes this store could not
// have given out for that list.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/types.hpp"

namespace erc20::storage {

class Position {
  public:
    /// The list a position belongs to; each has its own layout.
    enum class Kind : uint8_t {
        kRanking,   // View::tokens_ranked: a token_rank key without its ranking byte
        kHolder,    // View::holders: a holders key without its token
        kTransfer,  // View::token_transfers, View::account_transfers: (block_num, log_index)
        kToken,     // View::account_tokens: the last token
        kIndex,     // an index into a list the caller holds
        kBlock,     // View::balance_changes: the last block (8)
        kSymbol,    // View::tokens_by_symbol: a token_symbols key
    };

    [[nodiscard]] static Position of_transfer(BlockNum block_num, uint32_t log_index);
    [[nodiscard]] static Position of_token(const Address& token);
    [[nodiscard]] static Position of_index(uint64_t index);
    [[nodiscard]] static Position of_block(BlockNum block_num);

    /// The position's bytes, for a cursor.
    [[nodiscard]] const std::string& encode() const noexcept { return bytes_; }
    /// A position of `kind` from encode()'s bytes; nullopt when they cannot be
    /// one (wrong length for the kind, a holder position whose magnitude
    /// length disagrees with its size).
    [[nodiscard]] static std::optional<Position> decode(Kind kind, std::string_view bytes);

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    /// REQUIRES: kind() == kTransfer.
    [[nodiscard]] std::pair<BlockNum, uint32_t> transfer() const;
    /// REQUIRES: kind() == kToken.
    [[nodiscard]] Address token() const;
    /// REQUIRES: kind() == kIndex.
    [[nodiscard]] uint64_t index() const;
    /// REQUIRES: kind() == kBlock.
    [[nodiscard]] BlockNum block() const;

    friend bool operator==(const Position&, const Position&) = default;

  private:
    friend class View;
    Position(Kind kind, std::string bytes) : kind_(kind), bytes_(std::move(bytes)) {}
    /// The bytes, checking the kind (a mismatch is a bug: std::logic_error).
    [[nodiscard]] const std::string& bytes(Kind expected) const;

    Kind kind_;
    std::string bytes_;
};

}  // namespace erc20::storage
