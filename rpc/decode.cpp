#include "rpc/decode.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <utility>

#include "common/hex.hpp"

namespace erc20::rpc {
namespace {

namespace od = simdjson::ondemand;

using Kind = RpcError::Kind;

// ---------------------------------------------------------------------------
// Small helpers

RpcError malformed(std::string message) {
    RpcError e;
    e.kind = Kind::kMalformed;
    e.message = std::move(message);
    return e;
}

RpcError malformed_json(simdjson::error_code ec, std::string_view where) {
    std::string m{where};
    m += ": ";
    m += simdjson::error_message(ec);
    return malformed(std::move(m));
}

// REQUIRES: nothing; grows the capacity only, so `body` keeps its contents.
simdjson::padded_string_view pad(std::string& body) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(body.data(), body.size(), body.capacity());
}

// DATA: "0x" + an even number of hex digits, all validated. The first
// min(size, head.size()) bytes go to `head`, the byte length to `size`.
// Does not allocate (parse_data would), since logs are decoded by the million.
bool decode_data(std::string_view s, std::span<uint8_t> head, size_t& size) noexcept {
    if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() % 2 != 0) {
        return false;
    }
    s.remove_prefix(2);
    size = s.size() / 2;
    for (size_t i = 0; i < size; ++i) {
        const int hi = hex_digit(s[2 * i]);
        const int lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        if (i < head.size()) head[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

// ---------------------------------------------------------------------------
// Typed field readers: false on a wrong JSON type or a non-canonical value.

bool read_string(od::value& v, std::string_view& out) noexcept {
    return v.get_string().get(out) == simdjson::SUCCESS;
}

bool read_quantity(od::value& v, uint64_t& out) noexcept {
    std::string_view s;
    if (!read_string(v, s)) return false;
    auto q = parse_quantity_u64(s);
    if (!q) return false;
    out = *q;
    return true;
}

bool read_u32(od::value& v, uint32_t& out) noexcept {
    uint64_t q = 0;
    if (!read_quantity(v, q) || q > std::numeric_limits<uint32_t>::max()) return false;
    out = static_cast<uint32_t>(q);
    return true;
}

bool read_hash(od::value& v, Hash& out) noexcept {
    std::string_view s;
    if (!read_string(v, s)) return false;
    auto h = parse_hash(s);
    if (!h) return false;
    out = *h;
    return true;
}

bool read_address(od::value& v, Address& out) noexcept {
    std::string_view s;
    if (!read_string(v, s)) return false;
    auto a = parse_address(s);
    if (!a) return false;
    out = *a;
    return true;
}

// Iterates the fields of an object, calling on_field(key, value) for each;
// on_field returns nullptr to go on or a description of what is wrong.
// V is od::value or od::document (the root, where simdjson checks that the
// document is complete).
template <class V, class OnField>
const char* for_each_field(V& v, OnField&& on_field) {
    od::object obj;
    if (v.get_object().get(obj)) return "not an object";
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return "bad object key";
        od::value value;
        if (field.value().get(value)) return "bad object value";
        if (const char* what = on_field(key, value)) return what;
    }
    return nullptr;
}

// ---------------------------------------------------------------------------
// Result shapes

const char* decode_header_object(od::value& v, BlockHeader& h) {
    enum : unsigned { kNumber = 1, kHash = 2, kParent = 4, kTime = 8, kBloom = 16, kAll = 31 };
    unsigned seen = 0;
    const char* what = for_each_field(v, [&](std::string_view key, od::value& fv) -> const char* {
        if (key == "number") {
            if (!read_quantity(fv, h.block_num)) return "bad header number";
            seen |= kNumber;
        } else if (key == "hash") {
            if (!read_hash(fv, h.hash)) return "bad header hash";
            seen |= kHash;
        } else if (key == "parentHash") {
            if (!read_hash(fv, h.parent_hash)) return "bad header parentHash";
            seen |= kParent;
        } else if (key == "timestamp") {
            if (!read_quantity(fv, h.timestamp)) return "bad header timestamp";
            seen |= kTime;
        } else if (key == "logsBloom") {
            std::string_view s;
            size_t size = 0;
            if (!read_string(fv, s) || !decode_data(s, h.logs_bloom, size) ||
                size != h.logs_bloom.size()) {
                return "bad header logsBloom";
            }
            seen |= kBloom;
        }
        return nullptr;
    });
    if (what) return what;
    if (seen != kAll) return "header misses a field";
    return nullptr;
}

// null or a header object.
const char* decode_header_value(od::value& v, std::optional<BlockHeader>& out) {
    od::json_type type;
    if (v.type().get(type)) return "bad header";
    if (type == od::json_type::null) {
        bool is_null = false;
        if (v.is_null().get(is_null) || !is_null) return "bad null";
        out.reset();
        return nullptr;
    }
    BlockHeader h;
    if (const char* what = decode_header_object(v, h)) return what;
    out = h;
    return nullptr;
}

const char* decode_log_object(od::value& v, Log& log) {
    enum : unsigned {
        kAddress = 1,
        kTopics = 2,
        kData = 4,
        kBlockNum = 8,
        kBlockHash = 16,
        kTxnHash = 32,
        kTxnIndex = 64,
        kLogIndex = 128,
        kAll = 255,
    };
    unsigned seen = 0;
    const char* what = for_each_field(v, [&](std::string_view key, od::value& fv) -> const char* {
        if (key == "address") {
            if (!read_address(fv, log.address)) return "bad log address";
            seen |= kAddress;
        } else if (key == "topics") {
            od::array arr;
            if (fv.get_array().get(arr)) return "bad log topics";
            size_t count = 0;
            for (auto item : arr) {
                od::value tv;
                if (item.get(tv)) return "bad log topic";
                Hash topic;
                if (!read_hash(tv, topic)) return "bad log topic";
                if (count < log.topics.size()) log.topics[count] = topic;
                ++count;
            }
            log.topic_count = static_cast<uint8_t>(std::min<size_t>(count, 255));
            seen |= kTopics;
        } else if (key == "data") {
            std::string_view s;
            size_t size = 0;
            log.data_word = {};
            if (!read_string(fv, s) || !decode_data(s, log.data_word, size) ||
                size > std::numeric_limits<uint32_t>::max()) {
                return "bad log data";
            }
            log.data_size = static_cast<uint32_t>(size);
            seen |= kData;
        } else if (key == "blockNumber") {
            if (!read_quantity(fv, log.block_num)) return "bad log blockNumber";
            seen |= kBlockNum;
        } else if (key == "blockHash") {
            if (!read_hash(fv, log.block_hash)) return "bad log blockHash";
            seen |= kBlockHash;
        } else if (key == "transactionHash") {
            if (!read_hash(fv, log.txn_hash)) return "bad log transactionHash";
            seen |= kTxnHash;
        } else if (key == "transactionIndex") {
            if (!read_u32(fv, log.txn_index)) return "bad log transactionIndex";
            seen |= kTxnIndex;
        } else if (key == "logIndex") {
            if (!read_u32(fv, log.log_index)) return "bad log logIndex";
            seen |= kLogIndex;
        } else if (key == "removed") {
            if (fv.get_bool().get(log.removed)) return "bad log removed";
        }
        return nullptr;
    });
    if (what) return what;
    if (seen != kAll) return "log misses a field";
    return nullptr;
}

const char* decode_logs_value(od::value& v, std::vector<Log>& out) {
    od::array arr;
    if (v.get_array().get(arr)) return "logs result is not an array";
    for (auto item : arr) {
        od::value lv;
        if (item.get(lv)) return "bad log";
        Log log;
        if (const char* what = decode_log_object(lv, log)) return what;
        out.push_back(log);
    }
    return nullptr;
}

const char* decode_bytes_value(od::value& v, std::vector<uint8_t>& out) {
    std::string_view s;
    if (!read_string(v, s)) return "call result is not a string";
    auto data = parse_data(s);
    if (!data) return "bad call result DATA";
    out = std::move(*data);
    return nullptr;
}

const char* decode_quantity_value(od::value& v, uint64_t& out) {
    return read_quantity(v, out) ? nullptr : "bad QUANTITY";
}

// ---------------------------------------------------------------------------
// Envelope

const char* decode_error_value(od::value& v, Method method, RpcError& out) {
    int64_t code = 0;
    std::string message;
    std::string data;
    std::optional<BlockNum> data_to;
    const char* what = for_each_field(v, [&](std::string_view key, od::value& fv) -> const char* {
        if (key == "code") {
            if (fv.get_int64().get(code)) return "bad error code";
        } else if (key == "message") {
            std::string_view s;
            if (!read_string(fv, s)) return "bad error message";
            message.assign(s);
        } else if (key == "data") {
            od::json_type type;
            if (fv.type().get(type)) return "bad error data";
            if (type == od::json_type::string) {
                std::string_view s;
                if (!read_string(fv, s)) return "bad error data";
                data.assign(s);
            } else if (type == od::json_type::object) {
                // Infura: {"from": "0x..", "to": "0x..", "limit": 10000}
                return for_each_field(fv, [&](std::string_view k, od::value& dv) -> const char* {
                    std::string_view s;
                    uint64_t to = 0;
                    if (k == "to" && read_string(dv, s) &&
                        parse_lenient_number(s.data(), s.data() + s.size(), to) ==
                            s.data() + s.size()) {
                        data_to = to;
                    }
                    return nullptr;
                });
            }
        }
        return nullptr;
    });
    if (what) return what;
    out = make_rpc_error(method, code, message, data, data_to);
    return nullptr;
}

// One answer object. `id` is set when the answer carries a numeric id;
// `error` when it carries an error object; otherwise `has_result` tells that
// on_result(value) decoded a "result" member.
struct Answer {
    std::optional<int64_t> id;
    std::optional<RpcError> error;
    bool has_result{false};
};

template <class V, class OnResult>
const char* decode_answer(V& v, Method method, Answer& answer, OnResult&& on_result) {
    const char* what = for_each_field(v, [&](std::string_view key, od::value& fv) -> const char* {
        if (key == "id") {
            od::json_type type;
            if (fv.type().get(type)) return "bad id";
            if (type == od::json_type::number) {
                int64_t id = 0;
                if (fv.get_int64().get(id)) return "bad id";
                answer.id = id;
            } else if (type != od::json_type::null) {
                return "id is not a number";
            }
        } else if (key == "result") {
            if (answer.has_result) return "duplicate result";
            if (const char* w = on_result(fv)) return w;
            answer.has_result = true;
        } else if (key == "error") {
            RpcError e;
            if (const char* w = decode_error_value(fv, method, e)) return w;
            answer.error = std::move(e);
        }
        return nullptr;
    });
    if (what) return what;
    if (!answer.error && !answer.has_result) return "answer has neither result nor error";
    return nullptr;
}

// Starts parsing `body` (padded in place) into `doc`.
std::optional<RpcError> start(od::parser& parser, std::string& body, od::document& doc) {
    if (auto ec = parser.iterate(pad(body)).get(doc)) return malformed_json(ec, "json");
    return std::nullopt;
}

// After the root value is consumed: anything left is trailing garbage.
bool at_end(od::document& doc) {
    const char* loc = nullptr;
    return doc.current_location().get(loc) != simdjson::SUCCESS;
}

template <class T, class OnResult>
Result<T> decode_single(od::parser& parser, std::string& body, Method method,
                        OnResult&& on_result) {
    od::document doc;
    if (auto e = start(parser, body, doc)) return *e;
    T value{};
    Answer answer;
    if (const char* what =
            decode_answer(doc, method, answer, [&](od::value& v) { return on_result(v, value); })) {
        return malformed(what);
    }
    if (!at_end(doc)) return malformed("trailing content after the answer");
    if (answer.error) {
        // An error answers our request when its id is ours or null (the node
        // could not read the request).
        if (answer.id && *answer.id != kSingleId) return malformed("error answer has a wrong id");
        return *answer.error;
    }
    if (!answer.id) return malformed("answer has no id");
    if (*answer.id != kSingleId) return malformed("answer has a wrong id");
    return value;
}

// A batch of `count` answers. on_answer(index, slot_value) is called with
// the decoded temporary once its id is known.
template <class T, class OnResult, class OnAnswer>
std::optional<RpcError> decode_batch(od::parser& parser, std::string& body, size_t count,
                                     Method method, OnResult&& on_result, OnAnswer&& on_answer) {
    od::document doc;
    if (auto e = start(parser, body, doc)) return *e;
    od::json_type type;
    if (auto ec = doc.type().get(type)) return malformed_json(ec, "json");

    if (type == od::json_type::object) {
        // A node that refuses the batch as a whole answers one error object.
        T unused{};
        Answer answer;
        if (const char* what = decode_answer(doc, method, answer,
                                             [&](od::value& v) { return on_result(v, unused); })) {
            return malformed(what);
        }
        if (!at_end(doc)) return malformed("trailing content after the answer");
        if (answer.error) return *answer.error;
        return malformed("batch answered with a single result");
    }

    od::array arr;
    if (auto ec = doc.get_array().get(arr)) return malformed_json(ec, "batch");
    std::vector<bool> seen(count, false);
    for (auto item : arr) {
        od::value iv;
        if (auto ec = item.get(iv)) return malformed_json(ec, "batch item");
        T value{};
        Answer answer;
        if (const char* what = decode_answer(iv, method, answer,
                                             [&](od::value& v) { return on_result(v, value); })) {
            return malformed(what);
        }
        if (!answer.id) {
            // An error without id: the node could not tie it to a request.
            if (answer.error) return *answer.error;
            return malformed("batch answer has no id");
        }
        const int64_t id = *answer.id;
        if (id < 0 || static_cast<uint64_t>(id) >= count) {
            return malformed("batch answer has an unknown id " + std::to_string(id));
        }
        const auto index = static_cast<size_t>(id);
        if (seen[index]) return malformed("batch answer has a duplicate id " + std::to_string(id));
        seen[index] = true;
        if (auto e = on_answer(index, std::move(value), std::move(answer.error))) return e;
    }
    if (!at_end(doc)) return malformed("trailing content after the batch");
    for (size_t i = 0; i < count; ++i) {
        if (!seen[i]) return malformed("batch answer misses id " + std::to_string(i));
    }
    return std::nullopt;
}

}  // namespace

Result<uint64_t> decode_quantity(od::parser& parser, std::string& body) {
    return decode_single<uint64_t>(parser, body, Method::kGeneric, decode_quantity_value);
}

Result<std::optional<BlockHeader>> decode_header(od::parser& parser, std::string& body) {
    return decode_single<std::optional<BlockHeader>>(parser, body, Method::kGeneric,
                                                     decode_header_value);
}

Result<std::vector<std::optional<BlockHeader>>> decode_headers(od::parser& parser,
                                                               std::string& body, size_t count) {
    std::vector<std::optional<BlockHeader>> out(count);
    auto error = decode_batch<std::optional<BlockHeader>>(
        parser, body, count, Method::kGeneric, decode_header_value,
        [&](size_t i, std::optional<BlockHeader>&& h,
            std::optional<RpcError>&& e) -> std::optional<RpcError> {
            if (e) return std::move(e);
            out[i] = h;
            return std::nullopt;
        });
    if (error) return *error;
    return out;
}

Result<std::vector<Log>> decode_logs(od::parser& parser, std::string& body) {
    return decode_single<std::vector<Log>>(parser, body, Method::kGetLogs, decode_logs_value);
}

Result<std::vector<uint8_t>> decode_call(od::parser& parser, std::string& body) {
    return decode_single<std::vector<uint8_t>>(parser, body, Method::kCall, decode_bytes_value);
}

Result<std::vector<Result<std::vector<uint8_t>>>> decode_call_batch(od::parser& parser,
                                                                    std::string& body,
                                                                    size_t count) {
    std::vector<Result<std::vector<uint8_t>>> out(
        count, Result<std::vector<uint8_t>>(std::vector<uint8_t>{}));
    auto error = decode_batch<std::vector<uint8_t>>(
        parser, body, count, Method::kCall, decode_bytes_value,
        [&](size_t i, std::vector<uint8_t>&& ret,
            std::optional<RpcError>&& e) -> std::optional<RpcError> {
            if (e) {
                out[i] = std::move(*e);
            } else {
                out[i] = std::move(ret);
            }
            return std::nullopt;
        });
    if (error) return *error;
    return out;
}

}  // namespace erc20::rpc
