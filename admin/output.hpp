#pragma once
// What the admin commands print: an action's JSON answer as a human summary
// (or as it is with --json) and its exit code, and the progress line of a
// long action.

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "config/settings.hpp"

namespace erc20::admin {

/// Reads a JSON field into `out` when present and of the right type.
template <class T>
bool read_field(simdjson::simdjson_result<simdjson::dom::element> field, T& out) {
    return field.get(out) == simdjson::SUCCESS;
}

/// The human summary of status (the daemon's /v1/status or the offline answer).
void print_status(simdjson::dom::element doc, std::ostream& out);

/// Prints the answer of `c`'s action (HTTP `status`, JSON `body`): the body
/// with --json, else a summary on `out` (an error's message on `err`).
/// Returns the exit code: 0, 1 for a failure or a verify mismatch, 2 for a
/// refused add-tokens (a bad --tokens).
int print_answer(const config::CommandOptions& c, unsigned status, const std::string& body,
                 std::ostream& out = std::cout, std::ostream& err = std::cerr);

/// A long action's progress on stderr, one line rewritten in place (nothing
/// with --json); finish() ends the line.
class ProgressLine {
  public:
    explicit ProgressLine(const config::CommandOptions& c) : name_(c.name), quiet_(c.json) {}
    void show(uint64_t done, uint64_t total, std::string_view unit, double elapsed_s);
    void finish();

  private:
    std::string name_;
    bool quiet_;
    bool shown_ = false;
};

}  // namespace erc20::admin
