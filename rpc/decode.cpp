#include "rpc/decode.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <span>
#include <utility>

#include "common/hex.hpp"
#include "common/strings.hpp"

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

bool contains_any(std::string_view haystack, std::span<const std::string_view> needles) {
    return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) {
        return haystack.find(n) != std::string_view::npos;
    });
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

// A lenient number in an error message: "0x" + 1..16 hex digits (leading
// zeros and upper case allowed) or 1..20 decimal digits. Returns the end.
const char* lenient_number(const char* p, const char* end, uint64_t& out) noexcept {
    int base = 10;
    if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    auto [ptr, ec] = std::from_chars(p, end, out, base);
    if (ec != std::errc{} || ptr == p) return nullptr;
    return ptr;
}

const char* skip_spaces(const char* p, const char* end) noexcept {
    while (p != end && (*p == ' ' || *p == '\t')) ++p;
    return p;
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
                        lenient_number(s.data(), s.data() + s.size(), to) == s.data() + s.size()) {
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

// ---------------------------------------------------------------------------
// Error classification

std::optional<BlockNum> find_suggested_to(std::string_view text) noexcept {
    const char* const end = text.data() + text.size();
    for (size_t pos = text.find('['); pos != std::string_view::npos;
         pos = text.find('[', pos + 1)) {
        const char* p = skip_spaces(text.data() + pos + 1, end);
        uint64_t from = 0;
        uint64_t to = 0;
        p = lenient_number(p, end, from);
        if (p == nullptr) continue;
        p = skip_spaces(p, end);
        if (p == end || *p != ',') continue;
        p = lenient_number(skip_spaces(p + 1, end), end, to);
        if (p == nullptr) continue;
        p = skip_spaces(p, end);
        if (p == end || *p != ']') continue;
        return to;
    }
    return std::nullopt;
}

RpcError make_rpc_error(Method method, int64_t code, std::string_view message,
                        std::string_view data, std::optional<BlockNum> data_to) {
    static constexpr std::string_view kRateLimit[] = {
        "rate limit", "too many requests", "request rate", "rate exceeded", "exceeded rate"};
    static constexpr std::string_view kRange[] = {"more than 10000 results",
                                                  "block range",
                                                  "range is too large",
                                                  "response size",
                                                  "query returned more than",
                                                  "limit exceeded",
                                                  "too many"};
    static constexpr std::string_view kExecution[] = {
        "revert", "execution", "invalid opcode", "out of gas", "invalid jump", "stack underflow"};

    RpcError e;
    e.kind = Kind::kRpcError;
    e.code = code;
    e.message.assign(message);
    if (!data.empty()) {
        e.message += " (data: ";
        e.message.append(data.substr(0, 256));
        e.message += ')';
    }
    const std::string lower = to_lower(message);

    if (code == 429 || contains_any(lower, kRateLimit)) {
        e.kind = Kind::kRateLimited;
        return e;
    }
    if (method == Method::kGetLogs && (code == -32005 || contains_any(lower, kRange))) {
        e.kind = Kind::kRangeTooLarge;
        e.suggested_to = find_suggested_to(message);
        if (!e.suggested_to) e.suggested_to = find_suggested_to(data);
        if (!e.suggested_to) e.suggested_to = data_to;
        return e;
    }
    if (method == Method::kCall &&
        (code == 3 || ((code == -32000 || code == -32015) && contains_any(lower, kExecution)))) {
        e.kind = Kind::kReverted;
        return e;
    }
    // geth: "missing trie node", "header not found", "header for hash not
    // found"; erigon/nethermind/besu: "state ... not available", "pruned";
    // anvil: -32001 "Resource not found" for an unknown hash.
    static constexpr std::string_view kUnavailable[] = {
        "missing trie node", "header not found", "block not found", "hash not found",
        "unknown block",     "unknown hash",     "pruned",          "not available",
        "historical state"};
    if (method == Method::kCall && (code == -32001 || contains_any(lower, kUnavailable))) {
        e.kind = Kind::kUnavailable;
        return e;
    }
    return e;
}

std::optional<int64_t> parse_retry_after(std::string_view value) noexcept {
    constexpr std::string_view kSpace = " \t\r\n";
    const size_t first = value.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return std::nullopt;
    value = value.substr(first, value.find_last_not_of(kSpace) - first + 1);
    auto seconds = parse_decimal_u64(value);
    // A day is more than any node means; beyond it the value is nonsense.
    if (!seconds || *seconds > 86'400) return std::nullopt;
    return static_cast<int64_t>(*seconds) * 1000;
}

RpcError make_http_error(long status, std::optional<int64_t> retry_after_ms,
                         std::string_view body) {
    RpcError e;
    e.http_status = static_cast<int>(status);
    if (status == 429) {
        e.kind = Kind::kRateLimited;
        e.retry_after_ms = retry_after_ms;
    } else if (status == 413) {
        e.kind = Kind::kRangeTooLarge;
    } else {
        e.kind = Kind::kHttpStatus;
    }
    e.message = "HTTP " + std::to_string(status);
    if (!body.empty()) {
        constexpr size_t kMaxQuoted = 200;
        e.message += ": ";
        e.message.append(body.substr(0, kMaxQuoted));
        if (body.size() > kMaxQuoted) e.message += "...";
    }
    return e;
}

// ---------------------------------------------------------------------------
// Decoders

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
