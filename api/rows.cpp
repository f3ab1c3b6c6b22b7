#include "api/rows.hpp"

#include "common/hex.hpp"

namespace erc20::api {
namespace {

void csv_cell(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

Field opt_string(const std::optional<std::string>& s) { return s ? Field(*s) : Field(); }

}  // namespace

const Columns kTokenColumns{"address",
                            "name",
                            "symbol",
                            "decimals",
                            "total_supply",
                            "total_supply_block",
                            "indexed_supply",
                            "circulating_supply",
                            "minted",
                            "burned",
                            "holders",
                            "transfers",
                            "negative_balances",
                            "first_block",
                            "last_block"};
const Columns kHolderColumns{"address", "balance", "label", "category"};
const Columns kTransferColumns{"block", "timestamp", "tx_hash", "log_index",
                               "token", "from",      "to",      "value"};
const Columns kBalanceColumns{"token", "balance"};
const Columns kBalanceChangeColumns{"block", "timestamp", "balance"};

void write_row(JsonWriter& w, const Row& row) {
    w.begin_object();
    for (const auto& [k, v] : row) {
        w.key(k);
        if (std::holds_alternative<std::monostate>(v)) w.null();
        else if (auto* s = std::get_if<std::string>(&v))
            w.string(*s);
        else if (auto* n = std::get_if<uint64_t>(&v))
            w.number(*n);
        else
            w.number(std::get<double>(v));
    }
    w.end_object();
}

void append_ndjson_row(std::string& out, const Row& row) {
    JsonWriter line;
    write_row(line, row);
    out += line.str();
    out += '\n';
}

void append_csv_row(std::string& out, const Row& row) {
    bool first = true;
    for (const auto& [k, v] : row) {
        if (!first) out += ',';
        first = false;
        if (auto* s = std::get_if<std::string>(&v)) {
            csv_cell(out, *s);
        } else if (auto* n = std::get_if<uint64_t>(&v)) {
            out += std::to_string(*n);
        } else if (auto* d = std::get_if<double>(&v)) {
            JsonWriter w;
            w.number(*d);
            out += w.str();
        }
    }
    out += "\r\n";
}

void append_csv_header(std::string& out, const Columns& columns) {
    bool first = true;
    for (auto k : columns) {
        if (!first) out += ',';
        first = false;
        out += k;
    }
    out += "\r\n";
}

Row token_row(const Address& token, const storage::TokenStats& s,
              const std::optional<storage::TokenMeta>& meta, const Balance& circulating) {
    Row r;
    r.emplace_back("address", to_hex(token));
    r.emplace_back("name", meta ? opt_string(meta->name) : Field());
    r.emplace_back("symbol", meta ? opt_string(meta->symbol) : Field());
    r.emplace_back("decimals", meta && meta->decimals ? Field(uint64_t{*meta->decimals}) : Field());
    r.emplace_back("total_supply", meta && meta->total_supply
                                       ? Field(to_dec_string(*meta->total_supply))
                                       : Field());
    // The block total_supply was read at; unknown (null) for a reading of an older version.
    r.emplace_back("total_supply_block",
                   meta && meta->supply_hash ? Field(uint64_t{meta->supply_block}) : Field());
    r.emplace_back("indexed_supply", to_dec_string(Balance(s.minted - s.burned)));
    r.emplace_back("circulating_supply", to_dec_string(circulating));
    r.emplace_back("minted", to_dec_string(s.minted));
    r.emplace_back("burned", to_dec_string(s.burned));
    r.emplace_back("holders", s.holders);
    r.emplace_back("transfers", s.transfers);
    r.emplace_back("negative_balances", s.negative_balances);
    r.emplace_back("first_block", s.first_block);
    r.emplace_back("last_block", s.last_block);
    return r;
}

Row holder_row(const Address& holder, const Balance& balance, const Label* label) {
    return Row{{"address", to_hex(holder)},
               {"balance", to_dec_string(balance)},
               {"label", label ? Field(label->label) : Field()},
               {"category", label ? Field(label->category) : Field()}};
}

Balance circulating_supply(const storage::View& v, const Labels::Snapshot& labels,
                           const Address& token, const storage::TokenStats& s,
                           std::optional<BlockNum> block) {
    Balance out = s.minted - s.burned;
    for (const Address& a : labels.set->in_categories(token, *labels.non_circulating)) {
        const Balance b = block ? v.balance_at(token, a, *block) : v.balance(token, a);
        if (b > 0) out -= b;
    }
    return out;
}

std::optional<uint64_t> BlockTimes::at(BlockNum block_num) {
    if (!last_ || last_->first != block_num)
        last_ = std::make_pair(block_num, view_.block_time(block_num));
    return last_->second;
}

Row balance_change_row(const storage::View::BalanceChange& c, BlockTimes& times) {
    const auto ts = times.at(c.block);
    return Row{{"block", c.block},
               {"timestamp", ts ? Field(*ts) : Field()},
               {"balance", to_dec_string(c.balance)}};
}

Row transfer_row(const storage::Transfer& t, BlockTimes& times) {
    Row r;
    r.emplace_back("block", t.block_num);
    auto ts = times.at(t.block_num);
    r.emplace_back("timestamp", ts ? Field(*ts) : Field());
    r.emplace_back("tx_hash", to_hex(t.txn_hash));
    r.emplace_back("log_index", uint64_t{t.log_index});
    r.emplace_back("token", to_hex(t.token));
    r.emplace_back("from", to_hex(t.from));
    r.emplace_back("to", to_hex(t.to));
    r.emplace_back("value", to_dec_string(t.value));
    return r;
}

}  // namespace erc20::api
