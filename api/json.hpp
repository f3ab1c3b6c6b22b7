#pragma once
// A small streaming JSON writer for API answers: objects, arrays, escaped
// strings, integers. Commas are placed automatically.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace erc20::api {

class JsonWriter {
  public:
    JsonWriter& begin_object() {
        value_prefix();
        out_ += '{';
        first_.push_back(true);
        return *this;
    }
    JsonWriter& end_object() {
        out_ += '}';
        first_.pop_back();
        return *this;
    }
    JsonWriter& begin_array() {
        value_prefix();
        out_ += '[';
        first_.push_back(true);
        return *this;
    }
    JsonWriter& end_array() {
        out_ += ']';
        first_.pop_back();
        return *this;
    }

    JsonWriter& key(std::string_view k) {
        comma();
        append_string(k);
        out_ += ':';
        after_key_ = true;
        return *this;
    }
    JsonWriter& string(std::string_view v) {
        value_prefix();
        append_string(v);
        return *this;
    }
    JsonWriter& number(uint64_t v) {
        value_prefix();
        out_ += std::to_string(v);
        return *this;
    }
    JsonWriter& number(double v);
    JsonWriter& boolean(bool v) {
        value_prefix();
        out_ += v ? "true" : "false";
        return *this;
    }
    JsonWriter& null() {
        value_prefix();
        out_ += "null";
        return *this;
    }
    /// A value that is already JSON text (an answer embedded in another).
    /// REQUIRES: `json` is one valid JSON value.
    JsonWriter& raw(std::string_view json) {
        value_prefix();
        out_ += json;
        return *this;
    }

    template <class T>
    JsonWriter& field(std::string_view k, const T& v) {
        key(k);
        write(v);
        return *this;
    }
    JsonWriter& field_null(std::string_view k) {
        key(k);
        return null();
    }

    [[nodiscard]] std::string take() { return std::move(out_); }
    [[nodiscard]] const std::string& str() const { return out_; }

  private:
    void write(std::string_view v) { string(v); }
    void write(const std::string& v) { string(v); }
    void write(const char* v) { string(v); }
    void write(uint64_t v) { number(v); }
    void write(uint32_t v) { number(uint64_t{v}); }
    void write(int v) { number(static_cast<uint64_t>(v)); }
    void write(double v) { number(v); }
    void write(bool v) { boolean(v); }
    template <class T>
    void write(const std::optional<T>& v) {
        if (v) write(*v);
        else
            null();
    }

    void comma() {
        if (!first_.empty()) {
            if (!first_.back()) out_ += ',';
            first_.back() = false;
        }
    }
    void value_prefix() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        comma();
    }
    void append_string(std::string_view s);

    std::string out_;
    std::vector<bool> first_;
    bool after_key_ = false;
};

}  // namespace erc20::api
