#include "storage/position.hpp"

#include <stdexcept>

#include "storage/balance_rows.hpp"
#include "storage/keys.hpp"
#include "storage/token_rows.hpp"

namespace erc20::storage {
namespace {

// A holders key after its token: 0xff - len (1) | ~magnitude (len) | holder (20).
constexpr size_t kHolderPositionMinSize = kHolderKeyMinSize - kTokenKeySize;
// The longest magnitude a holder position may carry.
constexpr size_t kHolderMagnitudeMax = 64;

bool valid_holder(std::string_view p) {
    if (p.size() < kHolderPositionMinSize ||
        p.size() > kHolderPositionMinSize + kHolderMagnitudeMax) {
        return false;
    }
    const size_t magnitude = size_t{0xff} - static_cast<uint8_t>(p[0]);
    return p.size() == kHolderPositionMinSize + magnitude;
}

bool valid(Position::Kind kind, std::string_view p) {
    switch (kind) {
        case Position::Kind::kRanking:
            return p.size() == kTokenRankKeySize - 1;  // ~count (8) | token (20)
        case Position::Kind::kHolder:
            return valid_holder(p);
        case Position::Kind::kTransfer:
            return p.size() == kTransferKeySize;  // block_num (8) | log_index (4)
        case Position::Kind::kToken:
            return p.size() == kAddressSize;
        case Position::Kind::kIndex:
        case Position::Kind::kBlock:
            return p.size() == 8;
        case Position::Kind::kSymbol:
            return valid_symbol_key(p);
    }
    return false;
}

}  // namespace

Position Position::of_transfer(BlockNum block_num, uint32_t log_index) {
    return Position(Kind::kTransfer, transfer_key(block_num, log_index));
}

Position Position::of_token(const Address& token) {
    return Position(Kind::kToken, token_key(token));
}

Position Position::of_index(uint64_t index) {
    std::string p;
    append_be64(p, index);
    return Position(Kind::kIndex, std::move(p));
}

Position Position::of_block(BlockNum block_num) {
    std::string p;
    append_be64(p, block_num);
    return Position(Kind::kBlock, std::move(p));
}

std::optional<Position> Position::decode(Kind kind, std::string_view bytes) {
    if (!valid(kind, bytes)) return std::nullopt;
    return Position(kind, std::string(bytes));
}

const std::string& Position::bytes(Kind expected) const {
    if (kind_ != expected) throw std::logic_error("a list position of another kind");
    return bytes_;
}

std::pair<BlockNum, uint32_t> Position::transfer() const {
    const ChainPosition at = transfer_key_position(bytes(Kind::kTransfer));
    return {at.block_num, at.log_index};
}

Address Position::token() const { return get_fixed<Address>(bytes(Kind::kToken), 0); }

uint64_t Position::index() const { return load_be64(bytes(Kind::kIndex), 0); }

BlockNum Position::block() const { return load_be64(bytes(Kind::kBlock), 0); }

}  // namespace erc20::storage
